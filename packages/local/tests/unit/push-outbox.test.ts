import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  handleOutboxRequest,
  INVALID_TOKEN_PREFIX,
  PushOutbox,
  type RecordedPush,
  type SendOutcome,
  UNREGISTERED_TOKEN_PREFIX,
} from '../../src/push-outbox.ts';

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

  it('sends a multicast as FCM would: per-token results, recording only accepted tokens', () => {
    const outbox = new PushOutbox();
    const gone = `${UNREGISTERED_TOKEN_PREFIX}1`;
    const bogus = `${INVALID_TOKEN_PREFIX}2`;
    const outcome = outbox.send(push('alice', 'done', ['t1', gone, 't2', bogus]));
    expect(outcome.successCount).toBe(2);
    expect(outcome.failureCount).toBe(2);
    expect(outcome.responses.map((r) => (r.success ? 'ok' : r.error.code))).toEqual([
      'ok',
      'messaging/registration-token-not-registered',
      'ok',
      'messaging/invalid-registration-token',
    ]);
    const [recorded] = outbox.list();
    expect(recorded?.tokens).toEqual(['t1', 't2']);
    expect(outcome.responses.filter((r) => r.success).map((r) => r.success && r.messageId)).toEqual(
      recorded?.messageIds,
    );
  });

  it('records nothing when no token is accepted, and refuses what FCM refuses', () => {
    const outbox = new PushOutbox();
    expect(outbox.send(push('alice', 'x', [`${UNREGISTERED_TOKEN_PREFIX}a`])).successCount).toBe(0);
    expect(outbox.list()).toEqual([]);
    expect(() => outbox.send(push('alice', 'x', []))).toThrow(RangeError);
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
    const put = await fetch(`${url}/_local/pushes`, { method: 'PUT', body: '{}' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
    await put.arrayBuffer();
  });

  it('takes POST /_local/pushes, answers like sendEachForMulticast and lists the push', async () => {
    outbox.clear();
    const res = await fetch(`${url}/_local/pushes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...push('carol', 'c1', ['t1', `${UNREGISTERED_TOKEN_PREFIX}x`]),
        data: { seq: '2' },
      }),
    });
    expect(res.status).toBe(200);
    const outcome = (await res.json()) as SendOutcome;
    expect(outcome).toMatchObject({ successCount: 1, failureCount: 1 });
    expect(outcome.responses[1]).toEqual({
      success: false,
      error: { code: 'messaging/registration-token-not-registered', message: expect.any(String) },
    });
    const listed = (await (await fetch(`${url}/_local/pushes?userId=carol`)).json()) as RecordedPush[];
    expect(listed).toMatchObject([{ userId: 'carol', tokens: ['t1'], data: { seq: '2' } }]);
  });

  it.each([
    ['not JSON', 'hello', 400],
    ['no tokens', JSON.stringify({ userId: 'u', tokens: [], notification: { title: 't', body: 'b' } }), 400],
    ['no notification', JSON.stringify({ userId: 'u', tokens: ['t'] }), 400],
    ['numeric data', JSON.stringify({ ...push('u', 't'), data: { n: 1 } }), 400],
    ['an oversize body', 'x'.repeat(70 * 1024), 413],
  ])('refuses a POST with %s', async (_name, body, status) => {
    const res = await fetch(`${url}/_local/pushes`, { method: 'POST', body });
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: expect.any(String) });
  });
});
