import { errorEnvelope, type HeraldEvent, type JobEvent } from '@herald/protocol';
import { describe, expect, it, vi } from 'vitest';
import { mapWithConcurrency } from '../../src/core/concurrency.ts';
import { ConnectionCache } from '../../src/core/connection-cache.ts';
import { DEFAULT_POST_BACKOFF } from '../../src/core/publisher.ts';
import { pushMessageFor } from '../../src/core/push-message.ts';
import { planReplay } from '../../src/core/replay.ts';
import { isKnownTopic, subscriptionKey, wantsEvent } from '../../src/core/subscriptions.ts';
import { events, JOB_A, JOB_B } from '../helpers/events.ts';

describe('DEFAULT_POST_BACKOFF', () => {
  it('defaults to five attempts for PostToConnection', () => {
    expect(DEFAULT_POST_BACKOFF.maxAttempts).toBe(5);
  });
});

describe('mapWithConcurrency', () => {
  it('keeps at most `limit` calls in flight and the input order in the result', async () => {
    vi.useFakeTimers();
    try {
      let inFlight = 0;
      let peak = 0;
      const work = mapWithConcurrency([5, 1, 4, 2, 3, 1, 1], 3, async (ms) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, ms));
        inFlight--;
        return ms * 10;
      });
      await vi.runAllTimersAsync();
      expect(await work).toEqual([50, 10, 40, 20, 30, 10, 10]);
      expect(peak).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('handles an empty list and refuses a limit below 1', async () => {
    expect(await mapWithConcurrency([], 4, async () => 1)).toEqual([]);
    await expect(mapWithConcurrency([1], 0, async () => 1)).rejects.toThrow(RangeError);
  });
});

describe('ConnectionCache', () => {
  const c = (connectionId: string) => ({ connectionId, userId: 'u', connectedAt: 1, expiresAt: 2 });

  it('serves a list until its time is up, capped at 10 s', () => {
    const cache = new ConnectionCache();
    cache.set('u', [c('a')], 1000, 60_000);
    expect(cache.get('u', 10_999)).toEqual([c('a')]);
    expect(cache.get('u', 11_000)).toBeUndefined();
  });

  it('evicts one connection from every list, and drops the oldest entry beyond its size', () => {
    const cache = new ConnectionCache(2);
    cache.set('u', [c('a'), c('b')], 0, 5000);
    cache.set('u2', [c('a')], 0, 5000);
    cache.evict('a');
    expect(cache.get('u', 1)).toEqual([c('b')]);
    expect(cache.get('u2', 1)).toEqual([]);
    cache.set('w', [], 0, 5000);
    expect(cache.get('u', 1)).toBeUndefined();
    expect(cache.get('w', 1)).toEqual([]);
  });
});

describe('subscriptions', () => {
  it('keys jobs and topics', () => {
    expect(subscriptionKey({ jobId: JOB_A })).toBe(`job:${JOB_A}`);
    expect(subscriptionKey({ topic: 'files' })).toBe('topic:files');
    expect(isKnownTopic('files')).toBe(true);
    expect(isKnownTopic('toString')).toBe(false);
    expect(isKnownTopic('datasets:sales')).toBe(false);
  });

  it('lets a connection without subscriptions receive every event of its user', () => {
    for (const event of Object.values(events(JOB_A))) {
      expect(wantsEvent(undefined, event)).toBe(true);
      expect(wantsEvent([], event)).toBe(true);
    }
  });

  it('filters by job, by the jobs topic and by the files topic', () => {
    const a = events(JOB_A);
    const b = events(JOB_B);
    expect(wantsEvent([`job:${JOB_A}`], a.progress)).toBe(true);
    expect(wantsEvent([`job:${JOB_A}`], b.progress)).toBe(false);
    expect(wantsEvent([`job:${JOB_A}`], a.file)).toBe(false);
    expect(wantsEvent(['topic:jobs'], b.succeeded)).toBe(true);
    expect(wantsEvent(['topic:files'], a.file)).toBe(true);
    expect(wantsEvent(['topic:files'], a.failed)).toBe(false);
  });
});

describe('planReplay', () => {
  const a = events(JOB_A);
  const p = (seq: number): JobEvent => ({ ...a.progress, seq });

  it('replays everything but progress that a later progress or terminal event makes stale', () => {
    const done = { ...a.succeeded, seq: 3 };
    expect(planReplay([a.queued, p(1), p(2), done])).toEqual([a.queued, done]);
    expect(planReplay([a.queued, p(1), p(2)])).toEqual([a.queued, p(2)]);
    expect(planReplay([p(5)])).toEqual([p(5)]);
    // A dry run's and a cancelled job's terminal events end it the same way.
    const validated: JobEvent = {
      type: 'job.validated',
      seq: 3,
      at: a.queued.at,
      jobId: JOB_A,
      rowsLoaded: 2,
      rowsRejected: 0,
      durationMs: 1,
    };
    const cancelled: JobEvent = {
      type: 'job.cancelled',
      seq: 3,
      at: a.queued.at,
      jobId: JOB_A,
      error: errorEnvelope('JOB_CANCELLED'),
    };
    expect(planReplay([a.queued, p(1), validated])).toEqual([a.queued, validated]);
    expect(planReplay([a.queued, p(1), cancelled])).toEqual([a.queued, cancelled]);
    expect(planReplay([])).toEqual([]);
  });
});

describe('pushMessageFor', () => {
  const a = events(JOB_A);

  it('says what happened, with string-only data and ids, never the file URL', () => {
    expect(pushMessageFor({ ...a.succeeded, rowsLoaded: 1204, rowsRejected: 2 })).toEqual({
      notification: { title: 'Import finished', body: '1,204 rows loaded, 2 skipped.' },
      data: { type: 'job.succeeded', seq: String(a.succeeded.seq), at: a.succeeded.at, jobId: JOB_A },
    });
    expect(pushMessageFor(a.failed)).toMatchObject({
      notification: {
        title: 'Import failed',
        body: a.failed.type === 'job.failed' ? a.failed.error.message : '',
      },
      data: { code: 'HEADER_MISMATCH', jobId: JOB_A },
    });
    const file = pushMessageFor(a.file);
    expect(file.notification).toEqual({ title: 'File ready', body: 'report.pdf is ready to download.' });
    expect(JSON.stringify(file)).not.toContain('X-Amz-Signature');
    for (const value of Object.values(file.data)) expect(typeof value).toBe('string');
  });

  it('says a dry run loaded nothing, and a cancelled job neither', () => {
    const at = a.queued.at;
    expect(
      pushMessageFor({
        type: 'job.validated',
        seq: 7,
        at,
        jobId: JOB_A,
        rowsLoaded: 1204,
        rowsRejected: 0,
        durationMs: 5,
      }),
    ).toEqual({
      notification: { title: 'File checked', body: '1,204 rows would load; nothing was loaded.' },
      data: { type: 'job.validated', seq: '7', at, jobId: JOB_A },
    });
    expect(
      pushMessageFor({
        type: 'job.cancelled',
        seq: 8,
        at,
        jobId: JOB_A,
        error: errorEnvelope('JOB_CANCELLED'),
      }),
    ).toEqual({
      notification: {
        title: 'Import cancelled',
        body: 'The job was cancelled by its owner; nothing was loaded.',
      },
      data: { type: 'job.cancelled', seq: '8', at, jobId: JOB_A, code: 'JOB_CANCELLED' },
    });
  });

  it('covers every terminal event type', () => {
    const terminal: HeraldEvent[] = [a.succeeded, a.failed, a.file];
    expect(terminal.map((e) => e.type)).toEqual(['job.succeeded', 'job.failed', 'file.ready']);
  });
});
