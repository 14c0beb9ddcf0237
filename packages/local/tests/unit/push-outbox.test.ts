import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleOutboxRequest, PushOutbox, type RecordedPush } from '../../src/push-outbox.ts';

const push = (userId: string, title: string, tokens: string[] = ['tok-1']) => ({
  userId,
  tokens,
  notification: { title, body: `${title} body` },
  data: { jobId: 'j-1', type: 'job.succeeded' },
});

describe('PushOutbox', () => {
  it('records pushes with one FCM-shaped message id per token and lists them newest last', () => {
    const outbox = new PushOutbox();
    const ids = outbox.record(push('alice', 'first', ['t1', 't2']));
    outbox.record(push('bob', 'second'));
    outbox.record(push('alice', 'third'));

    expect(ids).toHaveLength(2);
    for (const id of ids) expect(id).toMatch(/^projects\/herald-local\/messages\/0:\d+%[0-9a-f]{16}$/);
    expect(new Set(ids).size).toBe(2);
    expect(outbox.list().map((p) => p.notification.title)).toEqual(['first', 'second', 'third']);
    expect(outbox.list({ userId: 'alice' }).map((p) => p.notification.title)).toEqual(['first', 'third']);
    const [first] = outbox.list();
    expect(first).toMatchObject({
      userId: 'alice',
      tokens: ['t1', 't2'],
      messageIds: ids,
      data: { jobId: 'j-1', type: 'job.succeeded' },
    });
    expect(Number.isNaN(Date.parse(first?.recordedAt ?? ''))).toBe(false);
  });

  it('keeps only the newest maxEntries pushes', () => {
    const outbox = new PushOutbox({ maxEntries: 3 });
    for (let i = 1; i <= 5; i++) outbox.record(push('alice', `n${i}`));
    expect(outbox.list().map((p) => p.notification.title)).toEqual(['n3', 'n4', 'n5']);
  });

  it('refuses what FCM multicast refuses', () => {
    const outbox = new PushOutbox();
    expect(() => outbox.record(push('alice', 'x', []))).toThrow(RangeError);
    expect(() =>
      outbox.record(
        push(
          'alice',
          'x',
          Array.from({ length: 501 }, (_, i) => `t${i}`),
        ),
      ),
    ).toThrow(RangeError);
    expect(() =>
      outbox.record({ ...push('alice', 'x'), data: { count: 3 } as unknown as Record<string, string> }),
    ).toThrow(/must be a string/);
    expect(outbox.list()).toEqual([]);
  });

  it('is not changed by callers mutating what they passed or got back', () => {
    const outbox = new PushOutbox();
    const input = push('alice', 'x', ['t1']);
    outbox.record(input);
    input.tokens.push('t2');
    input.data.jobId = 'changed';
    const listed = outbox.list();
    expect(listed[0]?.tokens).toEqual(['t1']);
    expect(listed[0]?.data.jobId).toBe('j-1');
    expect(Object.isFrozen(listed[0])).toBe(true);
  });

  it('clears', () => {
    const outbox = new PushOutbox();
    outbox.record(push('alice', 'x'));
    outbox.clear();
    expect(outbox.list()).toEqual([]);
  });
});

describe('handleOutboxRequest', () => {
  const outbox = new PushOutbox();
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (!handleOutboxRequest(outbox, req, res)) res.writeHead(418).end('not the outbox');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('serves GET /_local/pushes as a JSON array, newest last, filtered by userId', async () => {
    outbox.clear();
    outbox.record(push('alice', 'a1'));
    outbox.record(push('bob', 'b1'));
    outbox.record(push('alice', 'a2'));

    const all = await fetch(`${url}/_local/pushes`);
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toMatch(/^application\/json/);
    expect(all.headers.get('cache-control')).toBe('no-store');
    const body = (await all.json()) as RecordedPush[];
    expect(body.map((p) => p.notification.title)).toEqual(['a1', 'b1', 'a2']);
    expect(body[0]).toMatchObject({ userId: 'alice', tokens: ['tok-1'], data: { jobId: 'j-1' } });

    const alice = (await (await fetch(`${url}/_local/pushes?userId=alice`)).json()) as RecordedPush[];
    expect(alice.map((p) => p.notification.title)).toEqual(['a1', 'a2']);
    const nobody = (await (await fetch(`${url}/_local/pushes?userId=carol`)).json()) as RecordedPush[];
    expect(nobody).toEqual([]);
  });

  it('falls through for other paths and answers 404/405 within its own prefix', async () => {
    const other = await fetch(`${url}/something-else`);
    expect(other.status).toBe(418);
    await other.arrayBuffer();
    const sub = await fetch(`${url}/_local/pushes/123`);
    expect(sub.status).toBe(404);
    await sub.arrayBuffer();
    const post = await fetch(`${url}/_local/pushes`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    await post.arrayBuffer();
  });
});
