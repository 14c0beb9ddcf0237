import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { stack } from '../support.ts';
import {
  type Client,
  connectAs,
  jobEvent,
  newUserId,
  pushesOf,
  realtimeFixture,
} from './realtime-helpers.ts';

const fixture = realtimeFixture();
const clients: Client[] = [];
afterAll(() => {
  for (const c of clients) c.close();
  fixture.close();
});
async function connect(userId: string): Promise<Client> {
  const client = await connectAs(fixture, userId);
  clients.push(client);
  return client;
}
const isEvent = (seq: number) => (f: Record<string, unknown>) =>
  f.type === 'event' && (f.event as { seq: number }).seq === seq;

describe('publisher through the local gateway', () => {
  it('reaches every connection of the user and none of another user’s', async () => {
    const [userA, userB] = [newUserId(), newUserId()];
    const a1 = await connect(userA);
    const a2 = await connect(userA);
    const b1 = await connect(userB);
    const jobId = randomUUID();
    const result = await fixture.publisher.publish(userA, jobEvent.queued(jobId, 0));
    expect(result).toEqual({ delivered: 2, gone: 0, failed: 0, pushed: 0 });
    for (const client of [a1, a2]) {
      expect(await client.waitFor(isEvent(0))).toMatchObject({ event: { type: 'job.queued', jobId } });
    }
    await b1.barrier();
    expect(b1.frames.filter((f) => f.type === 'event')).toEqual([]);
  });

  it('deletes exactly the stale connection that answered 410 and keeps the live ones', async () => {
    const user = newUserId();
    const live = await connect(user);
    const other = await connect(newUserId());
    // A client that vanished without $disconnect: its item is there, the gateway knows no such id.
    const staleId = 'Zm9yZ290dGVuPQ=';
    const now = Date.now();
    await fixture.connections.put({
      connectionId: staleId,
      userId: user,
      connectedAt: now,
      expiresAt: now / 1000 + 3600,
    });
    const result = await fixture.publisher.publish(user, jobEvent.queued(randomUUID(), 0));
    expect(result).toMatchObject({ delivered: 1, gone: 1, failed: 0 });
    expect((await fixture.connections.listByUser(user, Date.now())).map((c) => c.connectionId)).toEqual([
      live.connectionId,
    ]);
    expect(
      (await fixture.connections.listByUser(other.userId, Date.now())).map((c) => c.connectionId),
    ).toEqual([other.connectionId]);
    await live.waitFor(isEvent(0));
  });

  it('pushes a terminal event to an offline user’s devices, never progress, and prunes unregistered tokens', async () => {
    const user = newUserId();
    const now = Date.now();
    const device = (token: string) => ({
      userId: user,
      token,
      platform: 'android' as const,
      registeredAt: now,
      expiresAt: now / 1000 + 3600,
    });
    await fixture.devices.register(device('fcm:good-token'), 10, now);
    await fixture.devices.register(device('local-unregistered-old-phone'), 10, now);
    const jobId = randomUUID();

    expect((await fixture.publisher.publish(user, jobEvent.progress(jobId, 1))).pushed).toBe(0);
    expect(await pushesOf(user)).toEqual([]);

    const result = await fixture.publisher.publish(user, jobEvent.succeeded(jobId, 2));
    expect(result).toEqual({ delivered: 0, gone: 0, failed: 0, pushed: 1 });
    const pushes = await pushesOf(user);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]).toMatchObject({
      userId: user,
      tokens: ['fcm:good-token'],
      notification: { title: 'Import finished', body: '100 rows loaded.' },
      data: { type: 'job.succeeded', jobId, seq: '2' },
    });
    expect((await fixture.devices.listByUser(user, Date.now())).map((d) => d.token)).toEqual([
      'fcm:good-token',
    ]);
  });

  it('does not push a terminal event that reached a connection', async () => {
    const user = newUserId();
    const now = Date.now();
    await fixture.devices.register(
      { userId: user, token: 'fcm:t', platform: 'ios', registeredAt: now, expiresAt: now / 1000 + 3600 },
      10,
      now,
    );
    const client = await connect(user);
    expect(await fixture.publisher.publish(user, jobEvent.succeeded(randomUUID(), 3))).toMatchObject({
      delivered: 1,
      pushed: 0,
    });
    await client.waitFor(isEvent(3));
    expect(await pushesOf(user)).toEqual([]);
  });

  it('delivers what another service publishes to the notify topic (SNS handler)', async () => {
    const user = newUserId();
    const client = await connect(user);
    const event = jobEvent.succeeded(randomUUID(), 7);
    const res = await fetch(`${stack().localUrl}/_local/sns/NotifyTopic`, {
      method: 'POST',
      body: JSON.stringify({ userId: user, event }),
    });
    expect(res.status).toBe(202);
    expect(await client.waitFor(isEvent(7))).toEqual({ type: 'event', event });

    // An invalid message is dropped, not retried: the topic accepts it and nothing arrives.
    const bad = await fetch(`${stack().localUrl}/_local/sns/NotifyTopic`, {
      method: 'POST',
      body: JSON.stringify({ userId: user, event: { type: 'job.exploded' } }),
    });
    expect(bad.status).toBe(202);
    await client.barrier();
    expect(client.frames.filter((f) => f.type === 'event')).toHaveLength(1);
  });
});
