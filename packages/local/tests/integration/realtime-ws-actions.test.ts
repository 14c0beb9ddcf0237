import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { type Client, connectAs, jobEvent, newUserId, realtimeFixture } from './realtime-helpers.ts';

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
const subscriptionsOf = async (client: Client) =>
  (await fixture.connections.listByUser(client.userId, Date.now())).find(
    (c) => c.connectionId === client.connectionId,
  )?.subscriptions ?? [];
const events = (client: Client) =>
  client.frames.filter((f) => f.type === 'event').map((f) => (f.event as { seq: number }).seq);

describe('$default actions through the local gateway', () => {
  it('resume replays exactly the missed events, in order, then says resumed', async () => {
    const user = newUserId();
    const jobId = randomUUID();
    // Published while the user was offline: only the log has them.
    await fixture.publisher.publish(user, jobEvent.queued(jobId, 0));
    await fixture.publisher.publish(user, jobEvent.progress(jobId, 1, 30));
    await fixture.publisher.publish(user, jobEvent.progress(jobId, 2, 60));
    const client = await connect(user);
    client.send({ action: 'resume', id: 'r1', jobId, afterSeq: 0 });
    expect(await client.waitFor((f) => f.type === 'resumed')).toEqual({
      type: 'resumed',
      id: 'r1',
      jobId,
      lastSeq: 2,
    });
    // Progress is a snapshot: only the newest is replayed.
    expect(events(client)).toEqual([2]);

    await fixture.publisher.publish(user, jobEvent.succeeded(jobId, 3));
    await client.waitFor((f) => f.type === 'event' && (f.event as { seq: number }).seq === 3);
    const from = client.frames.length;
    client.send({ action: 'resume', id: 'r2', jobId, afterSeq: -1 });
    await client.waitFor((f) => f.type === 'resumed' && f.id === 'r2', { from });
    expect(
      client.frames
        .slice(from)
        .map((f) => (f.type === 'event' ? (f.event as { type: string }).type : f.type)),
    ).toEqual(['job.queued', 'job.succeeded', 'resumed']);
  });

  it('refuses to resume or subscribe to another user’s job, and the connection stays up', async () => {
    const owner = newUserId();
    const jobId = randomUUID();
    await fixture.publisher.publish(owner, jobEvent.queued(jobId, 0));
    const intruder = await connect(newUserId());
    intruder.send({ action: 'resume', id: 'x1', jobId, afterSeq: -1 });
    expect(await intruder.waitFor((f) => f.id === 'x1')).toMatchObject({
      type: 'error',
      error: { code: 'NOT_FOUND' },
    });
    intruder.send({ action: 'subscribe', id: 'x2', jobId });
    expect(await intruder.waitFor((f) => f.id === 'x2')).toMatchObject({
      type: 'error',
      error: { code: 'NOT_FOUND' },
    });
    await intruder.barrier();
    expect(events(intruder)).toEqual([]);
  });

  it('narrows a subscribed connection to its job; an unsubscribed one still gets everything', async () => {
    const user = newUserId();
    const [jobA, jobB] = [randomUUID(), randomUUID()];
    const watching = await connect(user);
    const everything = await connect(user);
    watching.send({ action: 'subscribe', id: 's1', jobId: jobA });
    // API Gateway (and the local gateway) run $default invocations concurrently and the
    // protocol has no acknowledgement for subscribe, so wait for the table to hold it.
    await expect.poll(() => subscriptionsOf(watching)).toEqual([`job:${jobA}`]);
    expect(watching.frames.filter((f) => f.type === 'error')).toEqual([]);

    await fixture.publisher.publish(user, jobEvent.queued(jobB, 0));
    await fixture.publisher.publish(user, jobEvent.queued(jobA, 10));
    await everything.waitFor((f) => f.type === 'event' && (f.event as { seq: number }).seq === 10);
    await watching.waitFor((f) => f.type === 'event' && (f.event as { seq: number }).seq === 10);
    await watching.barrier();
    expect(events(watching)).toEqual([10]);
    expect(events(everything).sort()).toEqual([0, 10]);

    watching.send({ action: 'unsubscribe', jobId: jobA });
    await expect.poll(() => subscriptionsOf(watching)).toEqual([]);
    await fixture.publisher.publish(user, jobEvent.queued(jobB, 20));
    await watching.waitFor((f) => f.type === 'event' && (f.event as { seq: number }).seq === 20);
  });

  it('acknowledges the per-user views, refuses a shared topic without a grant and an invalid topic name', async () => {
    const client = await connect(newUserId());
    client.send({ action: 'subscribe', id: 't1', topic: 'files' });
    client.send({ action: 'subscribe', id: 't2', topic: 'datasets:sales' });
    client.send({ action: 'subscribe', id: 't3', topic: 'datasets/sales' });
    expect(await client.waitFor((f) => f.id === 't2')).toMatchObject({
      type: 'error',
      error: { code: 'FORBIDDEN' },
    });
    expect(await client.waitFor((f) => f.id === 't3')).toMatchObject({
      type: 'error',
      error: { code: 'NOT_FOUND' },
    });
    expect(await client.waitFor((f) => f.id === 't1')).toEqual({
      type: 'subscribed',
      id: 't1',
      topic: 'files',
    });
    await expect.poll(() => subscriptionsOf(client)).toEqual(['topic:files']);
  });

  it('answers malformed frames with their code and stays up; an oversize frame closes with 1009', async () => {
    const client = await connect(newUserId());
    client.send('{not json');
    client.send({ action: 'dance', id: 'd' });
    client.send({ action: 'resume', id: 'bad', jobId: 'nope', afterSeq: 0 });
    await expect
      .poll(() =>
        client.frames
          .filter((f) => f.type === 'error')
          .map((f) => (f.error as { code: string }).code)
          .sort(),
      )
      .toEqual(['MALFORMED_FRAME', 'MALFORMED_FRAME', 'UNKNOWN_ACTION']);
    await client.barrier();

    const closed = new Promise<number>((resolve) => client.ws.once('close', (code) => resolve(code)));
    client.send(`{"action":"ping","pad":"${'x'.repeat(128 * 1024)}"}`);
    expect(await closed).toBe(1009);
    // The gateway is still up for everyone else.
    const next = await connect(newUserId());
    await next.barrier();
  });
});
