import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPublisher, type PublisherDeps } from '../../src/core/publisher.ts';
import { ConnectionStoreError, PushError, StoreError } from '../../src/errors.ts';
import type { ConnectionRecord } from '../../src/ports.ts';
import { FakeClock } from '../fakes/fake-clock.ts';
import { FakeConnectionPoster } from '../fakes/fake-connection-poster.ts';
import { InMemoryConnectionStore } from '../fakes/in-memory-connection-store.ts';
import { InMemoryDeviceStore } from '../fakes/in-memory-device-store.ts';
import { InMemoryJobEventLog } from '../fakes/in-memory-job-event-log.ts';
import { RecordingLogger } from '../fakes/recording-logger.ts';
import { RecordingPushSender } from '../fakes/recording-push-sender.ts';
import { events, JOB_A, JOB_B } from '../helpers/events.ts';

const NOW = Date.parse('2025-06-01T12:00:00.000Z');
const a = events(JOB_A);

function setup(overrides: Partial<PublisherDeps> = {}) {
  const connections = new InMemoryConnectionStore();
  const poster = new FakeConnectionPoster();
  const eventLog = new InMemoryJobEventLog();
  const devices = new InMemoryDeviceStore();
  const push = new RecordingPushSender();
  const clock = new FakeClock(NOW);
  const logs = new RecordingLogger();
  const publisher = createPublisher({
    connections,
    poster,
    eventLog,
    devices,
    push,
    clock,
    log: logs.logger,
    sleep: async () => {},
    ...overrides,
  });
  const connect = async (connectionId: string, userId: string, extra: Partial<ConnectionRecord> = {}) =>
    connections.put({
      connectionId,
      userId,
      connectedAt: NOW - 1000,
      expiresAt: NOW / 1000 + 7200,
      ...extra,
    });
  const device = async (userId: string, token: string) =>
    devices.register(
      { userId, token, platform: 'android', registeredAt: NOW, expiresAt: NOW / 1000 + 86_400 },
      10,
      NOW,
    );
  return { publisher, connections, poster, eventLog, devices, push, clock, logs, connect, device };
}

const frameOf = (event: unknown) => JSON.stringify({ type: 'event', event });

afterEach(() => {
  vi.useRealTimers();
});

describe('publisher: fan-out', () => {
  it('posts the event frame to every live connection of the user and to no one else', async () => {
    const s = setup();
    await s.connect('a1=', 'alice');
    await s.connect('a2=', 'alice');
    await s.connect('b1=', 'bob');
    await s.connect('old=', 'alice', { expiresAt: NOW / 1000 - 1 });
    const result = await s.publisher.publish('alice', a.progress);
    expect(result).toEqual({ delivered: 2, gone: 0, failed: 0, pushed: 0 });
    expect(s.poster.delivered('a1=')).toEqual([frameOf(a.progress)]);
    expect(s.poster.delivered('a2=')).toEqual([frameOf(a.progress)]);
    expect(s.poster.attempts.map((p) => p.connectionId).sort()).toEqual(['a1=', 'a2=']);
  });

  it('deletes exactly the connection that answered 410 and keeps the others', async () => {
    const s = setup();
    await s.connect('live=', 'alice');
    await s.connect('stale=', 'alice');
    await s.connect('other=', 'bob');
    s.poster.gone('stale=');
    const result = await s.publisher.publish('alice', a.queued);
    expect(result).toMatchObject({ delivered: 1, gone: 1, failed: 0 });
    expect(s.connections.deleted).toEqual(['stale=']);
    expect((await s.connections.listByUser('alice', NOW)).map((c) => c.connectionId)).toEqual(['live=']);
    expect((await s.connections.listByUser('bob', NOW)).map((c) => c.connectionId)).toEqual(['other=']);
  });

  it('keeps at most `concurrency` posts in flight', async () => {
    const s = setup({ concurrency: 4 });
    for (let i = 0; i < 20; i++) await s.connect(`c${i}=`, 'alice');
    s.poster.delayMs = 2;
    const result = await s.publisher.publish('alice', a.progress);
    expect(result.delivered).toBe(20);
    expect(s.poster.maxInFlight).toBe(4);
  });

  it('sends a connection with subscriptions only the events it subscribed to', async () => {
    const s = setup();
    await s.connect('all=', 'alice');
    await s.connect('jobA=', 'alice', { subscriptions: [`job:${JOB_A}`] });
    await s.connect('files=', 'alice', { subscriptions: ['topic:files'] });
    await s.publisher.publish('alice', a.progress);
    await s.publisher.publish('alice', { ...events(JOB_B).progress });
    await s.publisher.publish('alice', a.file);
    expect(s.poster.delivered('all=')).toHaveLength(3);
    expect(s.poster.delivered('jobA=')).toEqual([frameOf(a.progress)]);
    expect(s.poster.delivered('files=')).toEqual([frameOf(a.file)]);
  });

  it('refuses an event that breaks the protocol before writing or sending anything', async () => {
    const s = setup();
    await s.connect('a1=', 'alice');
    const bad = { ...a.progress, percent: 140 };
    await expect(s.publisher.publish('alice', bad)).rejects.toThrow(TypeError);
    expect(s.poster.attempts).toEqual([]);
    expect(await s.eventLog.head(JOB_A, NOW)).toBeUndefined();
    await expect(s.publisher.publish('', a.progress)).rejects.toThrow(RangeError);
  });

  it('fails with the retryable store error when connections cannot be read', async () => {
    const s = setup();
    s.connections.failNextWith(new ConnectionStoreError('throttled', { retryable: true }));
    await expect(s.publisher.publish('alice', a.progress)).rejects.toMatchObject({
      name: 'ConnectionStoreError',
      retryable: true,
    });
  });
});

describe('publisher: retries', () => {
  it('retries 429 and 5xx with full-jitter backoff, then delivers', async () => {
    vi.useFakeTimers();
    // Default sleep (setTimeout) and a fixed draw of 0.5: waits of 25, 50 and 100 ms.
    const s = setup({ sleep: undefined, random: () => 0.5 });
    await s.connect('a1=', 'alice');
    s.poster.script('a1=', ['throttle', 'server-error', 'throttle', 'ok']);
    let settled = false;
    const publishing = s.publisher.publish('alice', a.progress).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(174);
    expect(settled).toBe(false);
    expect(s.poster.attempts).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(await publishing).toEqual({ delivered: 1, gone: 0, failed: 0, pushed: 0 });
    expect(s.poster.attempts).toHaveLength(4);
  });

  it('gives up after maxAttempts and counts the connection failed, without deleting it', async () => {
    vi.useFakeTimers();
    const s = setup({ sleep: undefined, backoff: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 40 } });
    await s.connect('a1=', 'alice');
    s.poster.script('a1=', ['throttle', 'throttle', 'throttle', 'ok']);
    const publishing = s.publisher.publish('alice', a.progress);
    await vi.runAllTimersAsync();
    expect(await publishing).toEqual({ delivered: 0, gone: 0, failed: 1, pushed: 0 });
    expect(s.poster.attempts).toHaveLength(3);
    expect(s.connections.deleted).toEqual([]);
  });

  it('does not retry a 403', async () => {
    const s = setup();
    await s.connect('a1=', 'alice');
    s.poster.script('a1=', ['forbidden', 'ok']);
    expect((await s.publisher.publish('alice', a.progress)).failed).toBe(1);
    expect(s.poster.attempts).toHaveLength(1);
  });
});

describe('publisher: job event log', () => {
  it('appends job events with their owner and a TTL, and never logs file.ready (it carries a URL)', async () => {
    const s = setup({ eventTtlSeconds: 3600 });
    await s.publisher.publish('alice', a.queued);
    await s.publisher.publish('alice', a.progress);
    await s.publisher.publish('alice', a.file);
    expect(await s.eventLog.head(JOB_A, NOW)).toEqual({ userId: 'alice', lastSeq: 1 });
    expect(await s.eventLog.head(JOB_A, NOW + 3600 * 1000)).toBeUndefined();
    const logged = await s.eventLog.readAfter(JOB_A, -1, NOW, 100);
    expect(logged.map((l) => l.event.type)).toEqual(['job.queued', 'job.progress']);
  });

  it('still delivers when the log write fails, and says so in the log', async () => {
    const s = setup();
    await s.connect('a1=', 'alice');
    s.eventLog.failNextWith(new StoreError('jobEvents', 'throttled', { retryable: true }));
    expect((await s.publisher.publish('alice', a.queued)).delivered).toBe(1);
    expect(s.logs.entries.find((e) => e.level === 'error')).toMatchObject({
      message: 'job event not logged; resume will miss it',
      jobId: JOB_A,
    });
  });

  it('delivers a republished event again (clients deduplicate on seq)', async () => {
    const s = setup();
    await s.connect('a1=', 'alice');
    await s.publisher.publish('alice', a.queued);
    await s.publisher.publish('alice', a.queued);
    expect(s.poster.delivered('a1=')).toHaveLength(2);
  });
});

describe('publisher: push fallback', () => {
  it('pushes a terminal event that reached no connection to every device of the user', async () => {
    const s = setup();
    await s.device('alice', 'tok:1');
    await s.device('alice', 'tok:2');
    await s.device('bob', 'tok:b');
    const result = await s.publisher.publish('alice', a.succeeded);
    expect(result).toEqual({ delivered: 0, gone: 0, failed: 0, pushed: 2 });
    expect(s.push.sent).toEqual([
      {
        userId: 'alice',
        tokens: ['tok:1', 'tok:2'],
        message: {
          notification: { title: 'Import finished', body: '20 rows loaded.' },
          data: { type: 'job.succeeded', seq: '2', at: a.succeeded.at, jobId: JOB_A },
        },
      },
    ]);
  });

  it('pushes file.ready and job.failed too, and a terminal event whose connections all went away', async () => {
    const s = setup();
    await s.device('alice', 'tok:1');
    await s.connect('stale=', 'alice');
    s.poster.gone('stale=');
    expect((await s.publisher.publish('alice', a.failed)).pushed).toBe(1);
    expect((await s.publisher.publish('alice', a.file)).pushed).toBe(1);
    expect(s.push.sent.map((p) => p.message.data.type)).toEqual(['job.failed', 'file.ready']);
  });

  it('never pushes progress, nor a terminal event that was delivered', async () => {
    const s = setup();
    await s.device('alice', 'tok:1');
    expect((await s.publisher.publish('alice', a.progress)).pushed).toBe(0);
    expect((await s.publisher.publish('alice', a.queued)).pushed).toBe(0);
    await s.connect('a1=', 'alice');
    expect(await s.publisher.publish('alice', a.succeeded)).toMatchObject({ delivered: 1, pushed: 0 });
    expect(s.push.sent).toEqual([]);
  });

  it('pushes when the only connection subscribed to something else', async () => {
    const s = setup();
    await s.device('alice', 'tok:1');
    await s.connect('other-job=', 'alice', { subscriptions: [`job:${JOB_B}`] });
    expect(await s.publisher.publish('alice', a.succeeded)).toMatchObject({ delivered: 0, pushed: 1 });
  });

  it('removes the tokens the provider reports invalid, and only those', async () => {
    const s = setup();
    await s.device('alice', 'tok:good');
    await s.device('alice', 'tok:gone');
    s.push.unregister('tok:gone');
    expect((await s.publisher.publish('alice', a.succeeded)).pushed).toBe(1);
    expect(s.devices.removed).toEqual([{ userId: 'alice', token: 'tok:gone' }]);
    expect((await s.devices.listByUser('alice', NOW)).map((d) => d.token)).toEqual(['tok:good']);
    expect(s.logs.text).not.toContain('tok:');
  });

  it('reports a failed push in the log and in `pushed`, without failing the publish', async () => {
    const s = setup();
    await s.device('alice', 'tok:1');
    s.push.failNextWith(new PushError('FCM unavailable', { retryable: true }));
    expect((await s.publisher.publish('alice', a.succeeded)).pushed).toBe(0);
    expect(s.logs.entries.at(-2)).toMatchObject({ level: 'error', message: 'push failed' });
  });

  it('does nothing for a user without devices', async () => {
    const s = setup();
    expect((await s.publisher.publish('alice', a.succeeded)).pushed).toBe(0);
    expect(s.push.sent).toEqual([]);
  });
});

describe('publisher: connection cache', () => {
  it('reuses the list for progress events within cacheConnectionsMs, and rereads after', async () => {
    const s = setup();
    await s.connect('a1=', 'alice');
    await s.publisher.publish('alice', a.progress, { cacheConnectionsMs: 2000 });
    await s.connect('a2=', 'alice');
    expect((await s.publisher.publish('alice', a.progress, { cacheConnectionsMs: 2000 })).delivered).toBe(1);
    expect(s.connections.listCalls).toBe(1);
    s.clock.advance(2000);
    expect((await s.publisher.publish('alice', a.progress, { cacheConnectionsMs: 2000 })).delivered).toBe(2);
    expect(s.connections.listCalls).toBe(2);
  });

  it('keeps the list per job: a new job’s first progress sees a connection subscribed since', async () => {
    const s = setup();
    const b = events(JOB_B);
    await s.connect('a1=', 'alice', { subscriptions: [`job:${JOB_A}`] });
    await s.publisher.publish('alice', a.progress, { cacheConnectionsMs: 2000 });
    // Within the same 2 s: the connection subscribes to job B (acknowledged: stored), then a
    // second connection opens; job B's first progress must reach both.
    await s.connections.add('a1=', 'alice', `job:${JOB_B}`, 20);
    await s.connect('a2=', 'alice');
    expect((await s.publisher.publish('alice', b.progress, { cacheConnectionsMs: 2000 })).delivered).toBe(2);
    expect(s.connections.listCalls).toBe(2);
    // Job A still reuses its own list.
    expect((await s.publisher.publish('alice', a.progress, { cacheConnectionsMs: 2000 })).delivered).toBe(1);
    expect(s.connections.listCalls).toBe(2);
  });

  it('forgets a gone connection in the lists of the user’s other jobs too', async () => {
    const s = setup();
    const b = events(JOB_B);
    await s.connect('a1=', 'alice');
    await s.connect('a2=', 'alice');
    await s.publisher.publish('alice', a.progress, { cacheConnectionsMs: 5000 });
    s.poster.gone('a2=');
    await s.publisher.publish('alice', b.progress, { cacheConnectionsMs: 5000 });
    await s.publisher.publish('alice', a.progress, { cacheConnectionsMs: 5000 });
    expect(s.poster.attempts.filter((p) => p.connectionId === 'a2=')).toHaveLength(2);
  });

  it('shares one table read among concurrent cached publishes', async () => {
    const s = setup();
    await s.connect('a1=', 'alice');
    const results = await Promise.all(
      [1, 2, 3, 4].map((seq) =>
        s.publisher.publish('alice', { ...a.progress, seq }, { cacheConnectionsMs: 2000 }),
      ),
    );
    expect(results.map((r) => r.delivered)).toEqual([1, 1, 1, 1]);
    expect(s.connections.listCalls).toBe(1);
  });

  it('always reads the table for terminal events', async () => {
    const s = setup();
    await s.connect('a1=', 'alice');
    await s.publisher.publish('alice', a.progress, { cacheConnectionsMs: 5000 });
    await s.connect('a2=', 'alice');
    expect((await s.publisher.publish('alice', a.succeeded, { cacheConnectionsMs: 5000 })).delivered).toBe(2);
  });

  it('drops a gone connection from the cached list', async () => {
    const s = setup();
    await s.connect('a1=', 'alice');
    await s.connect('a2=', 'alice');
    s.poster.gone('a2=');
    await s.publisher.publish('alice', a.progress, { cacheConnectionsMs: 5000 });
    await s.publisher.publish('alice', a.progress, { cacheConnectionsMs: 5000 });
    expect(s.poster.attempts.filter((p) => p.connectionId === 'a2=')).toHaveLength(1);
    expect(s.connections.deleted).toEqual(['a2=']);
  });
});
