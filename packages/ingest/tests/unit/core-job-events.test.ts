import type { JobEvent } from '@herald/protocol';
import { errorEnvelope, JobEventSchema } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../runtime/tests/support/fake-clock.ts';
import { RecordingLogger } from '../../../runtime/tests/support/recording-logger.ts';
import { JobEventStream, SEQ_BLOCK, seqBlockEndingAt } from '../../src/core/job-events.ts';
import { RecordingNotifier } from '../fakes/recording-notifier.ts';

const JOB = 'c0ffee00-0000-4000-8000-000000000001';
/** Lets queued sends run, as the loader's awaits between chunks do. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function stream(options: { first?: number; last?: number; minIntervalMs?: number } = {}) {
  const clock = new FakeClock('2026-01-15T09:00:00.000Z');
  const notifier = new RecordingNotifier();
  const logs = new RecordingLogger();
  const events = new JobEventStream({
    jobId: JOB,
    userId: 'u-1',
    seq: { first: options.first ?? 1, last: options.last ?? SEQ_BLOCK },
    notifier,
    clock,
    log: logs.logger,
    progress: { minIntervalMs: options.minIntervalMs ?? 250, percentStep: 5 },
  });
  const sent = () => notifier.sent.map((s) => s.event);
  return { events, clock, notifier, logs, sent };
}

describe('seqBlockEndingAt', () => {
  it('gives the block a claim reserved, ending at seqReserved', () => {
    expect(seqBlockEndingAt(SEQ_BLOCK)).toEqual({ first: 1, last: SEQ_BLOCK });
    expect(seqBlockEndingAt(2 * SEQ_BLOCK)).toEqual({ first: SEQ_BLOCK + 1, last: 2 * SEQ_BLOCK });
  });
});

describe('JobEventStream', () => {
  it('sends queued, throttled progress and the terminal event in order, seq strictly increasing', async () => {
    const { events, clock, sent } = stream({ first: 101, last: 200 });
    events.queued('transactions');
    events.startProgress(1000);
    for (let bytes = 10; bytes <= 1000; bytes += 10) {
      clock.advance(20);
      events.progress({ bytesRead: bytes, rowsProcessed: bytes / 10 });
      await flush();
    }
    await events.succeeded({ rowsLoaded: 100, rowsRejected: 0, durationMs: 2000 });
    const all = sent();
    for (const event of all) expect(JobEventSchema.safeParse(event).success).toBe(true);
    expect(all[0]).toMatchObject({ type: 'job.queued', seq: 101, dataset: 'transactions', jobId: JOB });
    expect(all.at(-1)).toMatchObject({ type: 'job.succeeded', rowsLoaded: 100, durationMs: 2000 });
    const seqs = all.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    // 2 s of loading at ≥ 250 ms apart: at most 8 progress events, each in a new 5 % step.
    const progress = all.filter((e) => e.type === 'job.progress');
    expect(progress.length).toBeGreaterThanOrEqual(6);
    expect(progress.length).toBeLessThanOrEqual(8);
  });

  it('sends nothing after the terminal event', async () => {
    const { events, clock, sent } = stream({ minIntervalMs: 0 });
    events.startProgress(100);
    await events.failed(errorEnvelope('INVALID_VALUE', 'line 2: bad'), [{ line: 2, reason: 'bad' }]);
    clock.advance(1000);
    events.progress({ bytesRead: 100, rowsProcessed: 1 });
    events.queued('transactions');
    await events.succeeded({ rowsLoaded: 1, rowsRejected: 0, durationMs: 1 });
    expect(sent().map((e) => e.type)).toEqual(['job.failed']);
    expect(sent()[0]).toMatchObject({ rowErrors: [{ line: 2, reason: 'bad' }] });
  });

  it('keeps only the latest progress while the notifier is slow, and the terminal event last', async () => {
    const { events, clock, notifier, sent } = stream({ minIntervalMs: 0 });
    let open: () => void = () => {};
    notifier.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    events.startProgress(100);
    clock.advance(10);
    events.progress({ bytesRead: 10, rowsProcessed: 1 });
    await flush(); // the first send is now waiting on the slow notifier
    for (let bytes = 20; bytes <= 90; bytes += 10) {
      clock.advance(10);
      events.progress({ bytesRead: bytes, rowsProcessed: bytes / 10 });
    }
    open();
    await flush();
    await events.succeeded({ rowsLoaded: 9, rowsRejected: 0, durationMs: 100 });
    const all = sent();
    expect(all.map((e) => e.type)).toEqual(['job.progress', 'job.progress', 'job.succeeded']);
    // The terminal event takes the block's last seq (the row's seq_reserved): a resend matches it.
    expect(all.map((e) => e.seq)).toEqual([1, 2, SEQ_BLOCK]);
    expect(all[1]).toMatchObject({ bytesRead: 90, rowsProcessed: 9 });
  });

  it('never fails because the notifier does; it logs instead', async () => {
    const { events, notifier, logs } = stream();
    notifier.failWith = new Error('publisher down');
    events.queued('transactions');
    // Resolves false: the terminal event was not handed over, the worker must send it again.
    await expect(events.succeeded({ rowsLoaded: 1, rowsRejected: 0, durationMs: 1 })).resolves.toBe(false);
    expect(logs.entries.filter((e) => e.message === 'event not delivered')).toHaveLength(2);
  });

  it('keeps the block’s last seq for the terminal event', async () => {
    const { events, clock, sent } = stream({ first: 1, last: 3, minIntervalMs: 0 });
    events.queued('transactions');
    events.startProgress(100);
    for (let bytes = 10; bytes <= 100; bytes += 10) {
      clock.advance(10);
      events.progress({ bytesRead: bytes, rowsProcessed: 1 });
      await flush();
    }
    await events.succeeded({ rowsLoaded: 1, rowsRejected: 0, durationMs: 1 });
    const all: JobEvent[] = sent();
    expect(all.map((e) => [e.type, e.seq])).toEqual([
      ['job.queued', 1],
      ['job.progress', 2],
      ['job.succeeded', 3],
    ]);
  });

  it('abandon ends the attempt without a terminal event', async () => {
    const { events, clock, sent } = stream({ minIntervalMs: 0 });
    events.queued('transactions');
    events.startProgress(100);
    await events.abandon();
    clock.advance(100);
    events.progress({ bytesRead: 50, rowsProcessed: 1 });
    await events.succeeded({ rowsLoaded: 1, rowsRejected: 0, durationMs: 1 });
    expect(sent().map((e) => e.type)).toEqual(['job.queued']);
  });
});
