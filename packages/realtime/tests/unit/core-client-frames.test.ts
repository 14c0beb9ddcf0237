import { describe, expect, it } from 'vitest';
import { type ClientContext, respondToClientFrame } from '../../src/core/client-frames.ts';
import { MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../../src/core/subscriptions.ts';
import { StoreError } from '../../src/errors.ts';
import { FakeConnectionPoster } from '../fakes/fake-connection-poster.ts';
import { InMemoryConnectionStore } from '../fakes/in-memory-connection-store.ts';
import { InMemoryJobEventLog } from '../fakes/in-memory-job-event-log.ts';
import {
  InMemoryTopicEventLog,
  InMemoryTopicGrantStore,
  InMemoryTopicSubscriptionStore,
} from '../fakes/in-memory-topic-stores.ts';
import { events, JOB_A, JOB_B } from '../helpers/events.ts';

const now = Date.parse('2025-06-01T12:00:00.000Z');
const live = now / 1000 + 3600;
const ctx: ClientContext = { connectionId: 'me=', userId: 'alice', groups: [], now };

/** The topic ports, empty: no stored grants, subscriptions or topic events. */
const topicPorts = () => ({
  topicGrants: new InMemoryTopicGrantStore(),
  topicSubscriptions: new InMemoryTopicSubscriptionStore(),
  topicEvents: new InMemoryTopicEventLog(),
  connectionTtlSeconds: 10_800,
});

async function setup() {
  const connections = new InMemoryConnectionStore();
  const eventLog = new InMemoryJobEventLog();
  const poster = new FakeConnectionPoster();
  await connections.put({ connectionId: 'me=', userId: 'alice', connectedAt: now, expiresAt: live });
  const respond = (raw: string | Uint8Array) =>
    respondToClientFrame(raw, ctx, { subscriptions: connections, eventLog, poster, ...topicPorts() });
  const subscriptionsOfMe = async () =>
    (await connections.listByUser('alice', now)).find((c) => c.connectionId === 'me=')?.subscriptions ?? [];
  const frames = () => poster.delivered('me=').map((f) => JSON.parse(f) as Record<string, unknown>);
  return { connections, eventLog, poster, respond, subscriptionsOfMe, frames };
}

describe('respondToClientFrame: ping and bad frames', () => {
  it('answers ping with pong, echoing the id and giving the server time', async () => {
    const s = await setup();
    expect((await s.respond('{"action":"ping","id":"p-1"}')).reply).toEqual({
      type: 'pong',
      id: 'p-1',
      at: '2025-06-01T12:00:00.000Z',
    });
    expect((await s.respond(new TextEncoder().encode('{"action":"ping"}'))).reply).toEqual({
      type: 'pong',
      at: '2025-06-01T12:00:00.000Z',
    });
  });

  it.each([
    ['invalid JSON', '{not json', 'MALFORMED_FRAME'],
    ['an unknown action', '{"action":"dance","id":"d-1"}', 'UNKNOWN_ACTION'],
    ['a subscribe without target', '{"action":"subscribe","id":"s-2"}', 'MALFORMED_FRAME'],
    ['a resume with a bad job id', '{"action":"resume","jobId":"x","afterSeq":0}', 'MALFORMED_FRAME'],
    ['an oversize frame', `{"action":"ping","pad":"${'x'.repeat(128 * 1024)}"}`, 'MESSAGE_TOO_LARGE'],
  ])('answers %s with an error frame carrying the protocol code', async (_name, raw, code) => {
    const s = await setup();
    expect((await s.respond(raw)).reply).toMatchObject({ type: 'error', error: { code } });
  });
});

describe('respondToClientFrame: subscribe / unsubscribe', () => {
  it('subscribes to an own job and acknowledges it with subscribed, echoing the id; unsubscribes silently', async () => {
    const s = await setup();
    await s.eventLog.append('alice', events(JOB_A).queued, live);
    expect(await s.respond(`{"action":"subscribe","id":"s","jobId":"${JOB_A}"}`)).toEqual({
      reply: { type: 'subscribed', id: 's', jobId: JOB_A },
      action: 'subscribe',
    });
    expect(await s.subscriptionsOfMe()).toEqual([`job:${JOB_A}`]);
    expect((await s.respond(`{"action":"unsubscribe","jobId":"${JOB_A}"}`)).reply).toBeUndefined();
    expect(await s.subscriptionsOfMe()).toEqual([]);
  });

  it('acknowledges only once the subscription is stored', async () => {
    const s = await setup();
    let stored: readonly string[] | undefined;
    // The table answers late: the reply must not exist before the write has finished.
    const slow = {
      add: async (...args: Parameters<InMemoryConnectionStore['add']>) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const result = await s.connections.add(...args);
        stored = await s.subscriptionsOfMe();
        return result;
      },
      remove: s.connections.remove.bind(s.connections),
    };
    const outcome = await respondToClientFrame(`{"action":"subscribe","jobId":"${JOB_A}"}`, ctx, {
      subscriptions: slow,
      eventLog: s.eventLog,
      poster: s.poster,
      ...topicPorts(),
    });
    expect(outcome.reply).toEqual({ type: 'subscribed', jobId: JOB_A });
    expect(stored).toEqual([`job:${JOB_A}`]);
  });

  it('acknowledges a repeated subscribe again, holding the subscription once', async () => {
    const s = await setup();
    const subscribe = `{"action":"subscribe","id":"again","jobId":"${JOB_A}"}`;
    expect((await s.respond(subscribe)).reply).toEqual({ type: 'subscribed', id: 'again', jobId: JOB_A });
    expect((await s.respond(subscribe)).reply).toEqual({ type: 'subscribed', id: 'again', jobId: JOB_A });
    expect(await s.subscriptionsOfMe()).toEqual([`job:${JOB_A}`]);
  });

  it('accepts and acknowledges a job the log does not know yet (subscribing right after creating it)', async () => {
    const s = await setup();
    expect((await s.respond(`{"action":"subscribe","jobId":"${JOB_B}"}`)).reply).toEqual({
      type: 'subscribed',
      jobId: JOB_B,
    });
    expect(await s.subscriptionsOfMe()).toEqual([`job:${JOB_B}`]);
  });

  it('refuses another user’s job with NOT_FOUND, stores nothing and acknowledges nothing', async () => {
    const s = await setup();
    await s.eventLog.append('bob', events(JOB_B).queued, live);
    expect(await s.respond(`{"action":"subscribe","id":"s","jobId":"${JOB_B}"}`)).toEqual({
      reply: { type: 'error', id: 's', error: { code: 'NOT_FOUND', message: `You have no job ${JOB_B}.` } },
      action: 'subscribe',
    });
    expect(await s.subscriptionsOfMe()).toEqual([]);
    expect(s.frames()).toEqual([]);
  });

  it('subscribes to the per-user views with a subscribed ack naming the view, and refuses ungranted or invalid topics', async () => {
    const s = await setup();
    expect((await s.respond('{"action":"subscribe","topic":"files"}')).reply).toEqual({
      type: 'subscribed',
      topic: 'files',
    });
    expect((await s.respond('{"action":"subscribe","id":"j","topic":"jobs"}')).reply).toEqual({
      type: 'subscribed',
      id: 'j',
      topic: 'jobs',
    });
    expect((await s.respond('{"action":"subscribe","id":"t","topic":"datasets:sales"}')).reply).toMatchObject(
      { type: 'error', id: 't', error: { code: 'FORBIDDEN' } },
    );
    expect((await s.respond('{"action":"subscribe","id":"u","topic":"a/b"}')).reply).toMatchObject({
      type: 'error',
      id: 'u',
      error: { code: 'NOT_FOUND' },
    });
    expect(await s.subscriptionsOfMe()).toEqual(['topic:files', 'topic:jobs']);
  });

  it('refuses subscriptions past the per-connection cap with CONFLICT', async () => {
    const s = await setup();
    for (let i = 0; i < MAX_SUBSCRIPTIONS_PER_CONNECTION; i++) {
      const jobId = `0b6f3c8e-7a43-4a8e-9f0a-${String(i).padStart(12, '0')}`;
      expect((await s.respond(`{"action":"subscribe","jobId":"${jobId}"}`)).reply).toEqual({
        type: 'subscribed',
        jobId,
      });
    }
    expect((await s.respond('{"action":"subscribe","topic":"files"}')).reply).toMatchObject({
      error: { code: 'CONFLICT' },
    });
  });

  it('answers a table failure with UPSTREAM_UNAVAILABLE and hands the failure back', async () => {
    const s = await setup();
    const failure = new StoreError('subscriptions', 'throttled', { retryable: true });
    s.connections.failNextWith(failure);
    expect(await s.respond('{"action":"subscribe","id":"x","topic":"files"}')).toEqual({
      reply: {
        type: 'error',
        id: 'x',
        error: { code: 'UPSTREAM_UNAVAILABLE', message: expect.any(String) },
      },
      action: 'subscribe',
      failure,
    });
  });
});

describe('respondToClientFrame: resume', () => {
  it('posts the missed events in order, then resumed with the last seq; replies nothing itself', async () => {
    const s = await setup();
    const e = events(JOB_A);
    const done = { ...e.succeeded, seq: 4 };
    for (const event of [e.queued, e.progress, { ...e.progress, seq: 2 }, { ...e.progress, seq: 3 }, done]) {
      await s.eventLog.append('alice', event, live);
    }
    expect(
      (await s.respond(`{"action":"resume","id":"r","jobId":"${JOB_A}","afterSeq":0}`)).reply,
    ).toBeUndefined();
    expect(s.frames()).toEqual([
      { type: 'event', event: done },
      { type: 'resumed', id: 'r', jobId: JOB_A, lastSeq: 4 },
    ]);
  });

  it('replays a running job’s events and its newest progress', async () => {
    const s = await setup();
    const e = events(JOB_A);
    const p2 = { ...e.progress, seq: 2 };
    for (const event of [e.queued, e.progress, p2]) await s.eventLog.append('alice', event, live);
    await s.respond(`{"action":"resume","jobId":"${JOB_A}","afterSeq":-1}`);
    expect(s.frames()).toEqual([
      { type: 'event', event: e.queued },
      { type: 'event', event: p2 },
      { type: 'resumed', jobId: JOB_A, lastSeq: 2 },
    ]);
  });

  it('says resumed with lastSeq -1 for a job the log does not know, and the log head when caught up', async () => {
    const s = await setup();
    await s.respond(`{"action":"resume","jobId":"${JOB_B}","afterSeq":-1}`);
    await s.eventLog.append('alice', events(JOB_A).queued, live);
    await s.respond(`{"action":"resume","jobId":"${JOB_A}","afterSeq":0}`);
    expect(s.frames()).toEqual([
      { type: 'resumed', jobId: JOB_B, lastSeq: -1 },
      { type: 'resumed', jobId: JOB_A, lastSeq: 0 },
    ]);
  });

  it('refuses another user’s job with NOT_FOUND and replays nothing', async () => {
    const s = await setup();
    await s.eventLog.append('bob', events(JOB_B).queued, live);
    expect(
      (await s.respond(`{"action":"resume","id":"r","jobId":"${JOB_B}","afterSeq":-1}`)).reply,
    ).toMatchObject({
      type: 'error',
      id: 'r',
      error: { code: 'NOT_FOUND' },
    });
    expect(s.poster.attempts).toEqual([]);
  });

  it('stops quietly when the connection goes away mid-replay', async () => {
    const s = await setup();
    await s.eventLog.append('alice', events(JOB_A).queued, live);
    s.poster.gone('me=');
    expect(await s.respond(`{"action":"resume","jobId":"${JOB_A}","afterSeq":-1}`)).toEqual({
      reply: undefined,
      action: 'resume',
    });
    expect(s.poster.attempts).toHaveLength(1);
  });
});
