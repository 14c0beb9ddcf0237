import { randomBytes } from 'node:crypto';
import { DeleteCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { issueTicket, TOPIC_SUBSCRIPTIONS_TABLE } from '@herald/realtime';
import { afterAll, describe, expect, it } from 'vitest';
import { functionInstances } from '../../src/testing/function-instances.ts';
import { issueToken, stack } from '../support.ts';
import { Client, newUserId, openSocket, realtimeFixture } from './realtime-helpers.ts';

// Shared topics through the local stack: the admin routes, `$default` subscribe, the SNS-free
// publish route, the TopicFanoutQueue and its worker processes (the stack runs each function
// instance in its own process, so killing one is killing a Lambda mid-invocation).

const fixture = realtimeFixture();
const clients: Client[] = [];
afterAll(() => {
  for (const c of clients) c.close();
  fixture.close();
});

const table = () => stack().dynamodb.tables[TOPIC_SUBSCRIPTIONS_TABLE.id] as string;

async function admin(method: string, path: string, body?: unknown) {
  const token = await issueToken('admin');
  const res = await fetch(`${stack().apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as Record<string, unknown> };
}

/** Opens `count` connections of one user (tickets straight to the table), `parallel` at a time. */
async function openMany(
  userId: string,
  count: number,
  parallel = 50,
  groups: readonly string[] = [],
): Promise<Client[]> {
  const opened: Client[] = [];
  for (let start = 0; start < count; start += parallel) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(parallel, count - start) }, async () => {
        const { ticket, record } = issueTicket({
          identity: { userId, username: userId, groups: [...groups] },
          now: Date.now(),
          randomBytes: (n) => randomBytes(n),
        });
        await fixture.tickets.put(record);
        return new Client(await openSocket(`?ticket=${ticket}`), userId, '');
      }),
    );
    opened.push(...batch);
    clients.push(...batch);
  }
  return opened;
}

async function subscribeAll(list: Client[], topic: string, parallel = 50): Promise<void> {
  for (let start = 0; start < list.length; start += parallel) {
    await Promise.all(
      list.slice(start, start + parallel).map(async (client, i) => {
        const id = `s${start + i}`;
        client.send({ action: 'subscribe', id, topic });
        const reply = await client.waitFor((f) => f.id === id, { timeoutMs: 30_000 });
        if (reply.type !== 'subscribed') throw new Error(`subscribe refused: ${JSON.stringify(reply)}`);
      }),
    );
  }
}

const topicSeqs = (client: Client, topic: string) =>
  client.frames
    .filter((f) => f.type === 'topic' && (f.event as { topic: string }).topic === topic)
    .map((f) => (f.event as { seq: number }).seq);

describe('shared topics through the local stack', () => {
  it('revoking a grant ends the subscriptions it admitted at once: later events reach only connections another grant admits', async () => {
    const topic = `it-revoke-${randomBytes(4).toString('hex')}`;
    for (const group of ['analysts', 'ops']) {
      expect((await admin('POST', `/admin/topics/${topic}/grants`, { group })).status).toBe(201);
    }
    const [analyst] = await openMany(newUserId(), 1, 1, ['analysts']);
    const [operator] = await openMany(newUserId(), 1, 1, ['ops']);
    if (!analyst || !operator) throw new Error('connections not opened');
    await subscribeAll([analyst, operator], topic);

    expect((await admin('DELETE', `/admin/topics/${topic}/grants/analysts`)).status).toBe(204);
    // The analyst's socket is told, under its subscribe frame's id (`s0`, see subscribeAll).
    const told = await analyst.waitFor((f) => f.type === 'error', { timeoutMs: 30_000 });
    expect(told).toMatchObject({ type: 'error', id: 's0', error: { code: 'FORBIDDEN' } });
    const published = await admin('POST', `/admin/topics/${topic}/events`, { title: 'After', body: '' });
    expect(published).toMatchObject({ status: 202, body: { topic, subscribers: 1 } });
    await operator.waitFor((f) => f.type === 'topic', { timeoutMs: 30_000 });
    expect(topicSeqs(operator, topic)).toEqual([1]);
    expect(topicSeqs(analyst, topic)).toEqual([]);
  });

  it('fans one event out to 2,000 subscribers in 4 shards; a worker killed mid-shard is redelivered, every connection ends with the event once (by seq), gone ones are removed', async () => {
    const topic = `it-topic-${randomBytes(4).toString('hex')}`;
    expect((await admin('POST', `/admin/topics/${topic}/grants`, { group: '*' })).status).toBe(201);

    const live = await openMany(newUserId(), 1995);
    await subscribeAll(live, topic);
    // Five subscribers whose connections no longer exist at the gateway ($disconnect never ran).
    const gone = Array.from({ length: 5 }, (_, i) => `gone-${i}-${randomBytes(4).toString('hex')}=`);
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    for (const connectionId of gone) {
      await fixture.connections.put({ connectionId, userId: 'ghost', connectedAt: Date.now(), expiresAt });
      await fixture.documents.send(
        new PutCommand({ TableName: table(), Item: { topic, connectionId, userId: 'ghost', expiresAt } }),
      );
    }

    const published = await admin('POST', `/admin/topics/${topic}/events`, { title: 'Kill test', body: '' });
    expect(published).toMatchObject({ status: 202, body: { topic, seq: 1, subscribers: 2000, shards: 4 } });

    // As soon as deliveries start, a fan-out worker is busy with a shard: kill every instance, so
    // the one posting is among them (an idle warm instance may be listed first).
    await Promise.race(live.map((c) => c.waitFor((f) => f.type === 'topic', { timeoutMs: 60_000 })));
    // This run's instances: another local stack on the machine runs functions of the same names.
    const workers = functionInstances()
      .filter(
        (i) =>
          i.functionName.includes('SqsTopicFanout') && i.env.get('AWS_ENDPOINT_URL_SQS') === stack().localUrl,
      )
      .map((i) => i.pid);
    expect(workers.length).toBeGreaterThan(0);
    for (const pid of workers) process.kill(pid, 'SIGKILL');

    // The killed shard comes back after the queue's visibility timeout (5 s in tests).
    const deadline = Date.now() + 90_000;
    while (live.some((c) => topicSeqs(c, topic).length === 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const counts = live.map((c) => topicSeqs(c, topic));
    expect(counts.filter((seqs) => seqs.length === 0).length).toBe(0);
    // Redelivery repeated the event to the connections the killed worker had reached.
    const repeated = counts.filter((seqs) => seqs.length > 1).length;
    expect(repeated).toBeGreaterThan(0);
    // What the SDK keeps (drop by seq): exactly one event per connection.
    for (const seqs of counts) expect([...new Set(seqs)]).toEqual([1]);
    console.info(`topic fan-out: 2000 subscribers, ${repeated} connections got the redelivered shard twice`);

    // Gone connections: out of the topic table and the connections table. A worker removes them
    // after its shard's posts, so a redelivered shard may still be removing them when the last live
    // connection has its event: poll.
    const subscribers = async () => {
      const { Items } = await fixture.documents.send(
        new QueryCommand({
          TableName: table(),
          KeyConditionExpression: '#t = :t',
          ExpressionAttributeNames: { '#t': 'topic' },
          ExpressionAttributeValues: { ':t': topic },
        }),
      );
      return new Set((Items ?? []).map((i) => i.connectionId as string));
    };
    await expect.poll(async () => (await subscribers()).size, { timeout: 30_000, interval: 250 }).toBe(1995);
    const ids = await subscribers();
    for (const id of gone) expect(ids.has(id)).toBe(false);
    await expect
      .poll(() => fixture.connections.listByUser('ghost', Date.now()), { timeout: 30_000, interval: 250 })
      .toEqual([]);

    for (const connectionId of gone) {
      await fixture.documents.send(new DeleteCommand({ TableName: table(), Key: { topic, connectionId } }));
    }
    // Close the 1,995 sockets here and wait for their $disconnect cleanup, so that burst of
    // invocations ends inside this test instead of slowing the files that run beside it.
    for (const client of live) client.close();
    await expect
      .poll(async () => (await fixture.connections.listByUser(live[0]?.userId ?? '', Date.now())).length, {
        timeout: 120_000,
        interval: 1000,
      })
      .toBe(0);
  }, 240_000);
});
