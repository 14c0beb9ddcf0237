import type { JobEvent } from '@herald/protocol';
import { JobEventSchema } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import { DatabaseError } from '../../src/errors.ts';
import { makeSqsIngestHandler } from '../../src/handlers/sqs-ingest.ts';
import { ALICE, BOB, fakeDeps } from '../fakes/fake-deps.ts';
import { lineLoader } from '../fakes/in-memory-job-store.ts';
import { FakeConnectionError } from '../fakes/line-loader.ts';

type F = ReturnType<typeof fakeDeps>;

/** S3's form URL encoding of a key in notifications. */
const encodeKey = (key: string) =>
  key
    .split('/')
    .map((s) => encodeURIComponent(s).replaceAll('%20', '+'))
    .join('/');

const record = (key: string, bucket: string, eventName = 'ObjectCreated:Put') => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  eventName,
  s3: { bucket: { name: bucket }, object: { key: encodeKey(key), size: 1 } },
});

const notification = (f: F, ...keys: string[]) =>
  JSON.stringify({ Records: keys.map((key) => record(key, f.objects.bucket)) });

const sqs = (...messages: { body: string; receiveCount?: number; id?: string }[]) => ({
  Records: messages.map((m, i) => ({
    messageId: m.id ?? `m-${i + 1}`,
    body: m.body,
    attributes: { ApproximateReceiveCount: String(m.receiveCount ?? 1) },
  })),
});

const csv = (rows: number, extra: string[] = []) =>
  [
    'transaction_id,amount',
    ...Array.from({ length: rows }, (_, i) => `SECRET-ROW-${i},${i}.50`),
    ...extra,
    '',
  ].join('\n');

/** The same file without its `!throw` fault, blank lines keeping it the size declared for it. */
const withoutFault = (text: string) => text.replace('!throw\n', '\n'.repeat('!throw\n'.length));

async function upload(
  f: F,
  text: string,
  options: { userId?: string; declared?: number; dryRun?: boolean } = {},
) {
  const userId = options.userId ?? ALICE;
  const jobId = f.deps.newId();
  const key = `uploads/${userId}/${jobId}.csv`;
  await f.jobs.create({
    jobId,
    userId,
    dataset: 'transactions',
    fileName: 'may.csv',
    sizeBytes: options.declared ?? new TextEncoder().encode(text).byteLength,
    objectKey: key,
    dryRun: options.dryRun ?? false,
  });
  f.objects.upload(key, text);
  return { jobId, key };
}

function expectIncreasingSeqs(events: readonly JobEvent[]) {
  const seqs = events.map((e) => e.seq);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1] as number);
}

describe('sqs-ingest handler', () => {
  it('loads an upload: queued, throttled progress, succeeded after commit, seq increasing', async () => {
    const f = fakeDeps();
    f.jobs.loader = lineLoader(() => f.clock.advance(100));
    f.objects.chunkSize = 16;
    const { jobId, key } = await upload(f, csv(40));
    const result = await makeSqsIngestHandler(f.provide)(sqs({ body: notification(f, key) }));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(f.jobs.loadedRows(jobId)).toBe(40);
    expect(f.jobs.peek(jobId)).toMatchObject({
      state: 'succeeded',
      rowsLoaded: 40,
      attempts: 1,
      error: null,
    });
    const events = f.notifier.eventsOf(jobId);
    for (const event of events) expect(JobEventSchema.safeParse(event).success).toBe(true);
    expect(f.notifier.sent.every((s) => s.userId === ALICE)).toBe(true);
    expect(events[0]).toMatchObject({ type: 'job.queued', dataset: 'transactions' });
    expect(events.at(-1)).toMatchObject({ type: 'job.succeeded', rowsLoaded: 40, rowsRejected: 0 });
    const progress = events.filter((e) => e.type === 'job.progress');
    expect(progress.length).toBeGreaterThan(3);
    // ≥ 250 ms apart on the fake clock, each in a new 5 % step.
    for (let i = 1; i < progress.length; i++) {
      const gap = Date.parse(progress[i]?.at as string) - Date.parse(progress[i - 1]?.at as string);
      expect(gap).toBeGreaterThanOrEqual(250);
    }
    expectIncreasingSeqs(events);
  });

  it('loads once when the same S3 event is delivered three times', async () => {
    const f = fakeDeps();
    const { jobId, key } = await upload(f, csv(5));
    const handler = makeSqsIngestHandler(f.provide);
    for (let i = 0; i < 3; i++) {
      expect(await handler(sqs({ body: notification(f, key), id: `dup-${i}` }))).toEqual({
        batchItemFailures: [],
      });
    }
    expect(f.jobs.loadedRows(jobId)).toBe(5);
    expect(f.jobs.peek(jobId)?.attempts).toBe(1);
    expect(f.notifier.eventsOf(jobId).filter((e) => e.type === 'job.succeeded')).toHaveLength(1);
  });

  it('retries a concurrent duplicate (row locked) and loads once', async () => {
    const f = fakeDeps();
    const { jobId, key } = await upload(f, csv(5));
    const handler = makeSqsIngestHandler(f.provide);
    const [a, b] = await Promise.all([
      handler(sqs({ body: notification(f, key), id: 'a' })),
      handler(sqs({ body: notification(f, key), id: 'b' })),
    ]);
    const failures = [...a.batchItemFailures, ...b.batchItemFailures];
    expect(failures).toHaveLength(1);
    expect(f.jobs.loadedRows(jobId)).toBe(5);
    // Redelivery of the loser finds the job finished.
    const again = await handler(
      sqs({ body: notification(f, key), id: failures[0]?.itemIdentifier, receiveCount: 2 }),
    );
    expect(again.batchItemFailures).toEqual([]);
    expect(f.jobs.loadedRows(jobId)).toBe(5);
    const events = f.notifier.eventsOf(jobId);
    expect(events.filter((e) => e.type === 'job.queued')).toHaveLength(1);
    expectIncreasingSeqs(events);
  });

  it('fails a job on refused data: nothing loaded, row errors on the job, report in S3, job.failed last', async () => {
    const f = fakeDeps();
    const { jobId, key } = await upload(f, csv(3, ['!bad', 'SECRET-ROW-9,1.00']));
    const result = await makeSqsIngestHandler(f.provide)(sqs({ body: notification(f, key) }));
    expect(result.batchItemFailures).toEqual([]);
    expect(f.jobs.loadedRows(jobId)).toBe(0);
    const rowErrors = [{ line: 5, column: 'amount', value: '!bad', reason: '`!bad` is not a number' }];
    expect(f.jobs.peek(jobId)).toMatchObject({
      state: 'failed',
      rowsLoaded: 0,
      rowsRejected: 1,
      error: { code: 'INVALID_VALUE', message: 'line 5, column `amount`: `!bad` is not a number' },
      rowErrors,
      reportKey: `reports/${ALICE}/${jobId}.json`,
    });
    expect(JSON.parse(f.objects.text(`reports/${ALICE}/${jobId}.json`) as string)).toMatchObject({
      jobId,
      dataset: 'transactions',
      fileName: 'may.csv',
      error: { code: 'INVALID_VALUE' },
      rowsRejected: 1,
      rowErrors: [{ ...rowErrors[0], code: 'INVALID_VALUE' }],
    });
    const events = f.notifier.eventsOf(jobId);
    expect(events.at(-1)).toMatchObject({ type: 'job.failed', error: { code: 'INVALID_VALUE' }, rowErrors });
    expectIncreasingSeqs(events);
  });

  it('validates a dry run: job.validated with the rows that would load, nothing loaded, job validated', async () => {
    const f = fakeDeps();
    const { jobId, key } = await upload(f, csv(7), { dryRun: true });
    expect(await makeSqsIngestHandler(f.provide)(sqs({ body: notification(f, key) }))).toEqual({
      batchItemFailures: [],
    });
    expect(f.jobs.loadedRows(jobId)).toBe(0);
    expect(f.jobs.peek(jobId)).toMatchObject({
      state: 'validated',
      dryRun: true,
      rowsLoaded: 7,
      error: null,
    });
    const events = f.notifier.eventsOf(jobId);
    expect(events.at(-1)).toMatchObject({ type: 'job.validated', rowsLoaded: 7, rowsRejected: 0 });
    expect(events.filter((e) => e.type === 'job.succeeded')).toEqual([]);
    expectIncreasingSeqs(events);
    // A duplicate delivery of a validated job changes nothing (validated is final).
    await makeSqsIngestHandler(f.provide)(sqs({ body: notification(f, key), id: 'again' }));
    expect(f.notifier.eventsOf(jobId)).toHaveLength(events.length);
  });

  it('fails a dry run of refused data exactly as the load fails: same code, lines and report', async () => {
    const f = fakeDeps();
    const bad = csv(3, ['!bad', 'SECRET-ROW-9,1.00']);
    const load = await upload(f, bad);
    const dry = await upload(f, bad, { dryRun: true });
    const handler = makeSqsIngestHandler(f.provide);
    await handler(sqs({ body: notification(f, load.key, dry.key) }));
    const pick = (jobId: string) => {
      const { state, error, rowErrors, rowsRejected } = f.jobs.peek(jobId) ?? {};
      return { state, error, rowErrors, rowsRejected };
    };
    expect(pick(dry.jobId)).toEqual(pick(load.jobId));
    expect(pick(dry.jobId).state).toBe('failed');
    const report = (jobId: string) => {
      const {
        jobId: _,
        createdAt: __,
        ...rest
      } = JSON.parse(f.objects.text(`reports/${ALICE}/${jobId}.json`) as string);
      return rest;
    };
    expect(report(dry.jobId)).toEqual(report(load.jobId));
  });

  it('refuses an object larger than declared without reading it', async () => {
    const f = fakeDeps();
    const { jobId, key } = await upload(f, csv(5), { declared: 20 });
    const result = await makeSqsIngestHandler(f.provide)(sqs({ body: notification(f, key) }));
    expect(result.batchItemFailures).toEqual([]);
    expect(f.objects.reads).toEqual([]);
    expect(f.jobs.peek(jobId)).toMatchObject({
      state: 'failed',
      error: { code: 'OBJECT_LARGER_THAN_DECLARED' },
      rowErrors: [],
      reportKey: null,
    });
    expect(f.jobs.peek(jobId)?.error?.message).toMatch(/more than the 20 declared/);
    expect(f.notifier.eventsOf(jobId).at(-1)).toMatchObject({ type: 'job.failed' });
    expect(f.objects.objects.has(key)).toBe(false);
  });

  it('records that the owner was told even when the connection drops right after the commit', async () => {
    // The exactly-once hardening run cut the worker's connection (pg_terminate_backend) just as it
    // recorded notified_at: the event had gone out, but the job stayed "never told".
    const f = fakeDeps();
    const { jobId, key } = await upload(f, csv(2));
    const markNotified = f.jobs.markNotified.bind(f.jobs);
    let cuts = 1;
    f.jobs.markNotified = async (id) => {
      if (cuts-- > 0) throw new FakeConnectionError();
      return markNotified(id);
    };
    const result = await makeSqsIngestHandler(f.provide)(sqs({ body: notification(f, key) }));
    expect(result.batchItemFailures).toEqual([]);
    expect(f.jobs.peek(jobId)).toMatchObject({ state: 'succeeded', notifiedAt: expect.any(Date) });
    expect(f.notifier.eventsOf(jobId).filter((e) => e.type === 'job.succeeded')).toHaveLength(1);
  });

  it('refuses an object smaller than declared without reading it, and deletes it', async () => {
    const f = fakeDeps();
    const body = csv(5);
    const { jobId, key } = await upload(f, body, { declared: Buffer.byteLength(body) + 1 });
    const result = await makeSqsIngestHandler(f.provide)(sqs({ body: notification(f, key) }));
    expect(result.batchItemFailures).toEqual([]);
    expect(f.objects.reads).toEqual([]);
    expect(f.jobs.peek(jobId)).toMatchObject({
      state: 'failed',
      error: { code: 'OBJECT_SMALLER_THAN_DECLARED' },
      rowErrors: [],
      reportKey: null,
    });
    expect(f.notifier.eventsOf(jobId).at(-1)).toMatchObject({
      type: 'job.failed',
      error: { code: 'OBJECT_SMALLER_THAN_DECLARED' },
    });
    expect(f.objects.objects.has(key)).toBe(false);
  });

  it('still fails a job of the wrong size when its object cannot be deleted', async () => {
    const f = fakeDeps();
    const { jobId, key } = await upload(f, csv(5), { declared: 20 });
    const store = f.objects;
    const realDelete = store.delete.bind(store);
    store.delete = async (k) => {
      store.failNextWith(new Error('S3 is down'));
      return realDelete(k);
    };
    const result = await makeSqsIngestHandler(f.provide)(sqs({ body: notification(f, key) }));
    expect(result.batchItemFailures).toEqual([]);
    expect(f.jobs.peek(jobId)).toMatchObject({ state: 'failed', notifiedAt: expect.any(Date) });
    expect(f.notifier.eventsOf(jobId).at(-1)).toMatchObject({ type: 'job.failed' });
    expect(store.objects.has(key)).toBe(true);
  });

  it('fails the job when its object is gone', async () => {
    const f = fakeDeps();
    const { jobId, key } = await upload(f, csv(1));
    f.objects.objects.delete(key);
    await makeSqsIngestHandler(f.provide)(sqs({ body: notification(f, key) }));
    expect(f.jobs.peek(jobId)).toMatchObject({ state: 'failed', error: { code: 'NOT_FOUND' } });
  });

  it('retries exactly the message that hit a retryable fault; the retry loads once with higher seqs', async () => {
    const f = fakeDeps();
    const ok = await upload(f, csv(2));
    const flaky = await upload(f, csv(3, ['!throw']));
    const handler = makeSqsIngestHandler(f.provide);
    const first = await handler(
      sqs({ body: notification(f, ok.key), id: 'ok' }, { body: notification(f, flaky.key), id: 'flaky' }),
    );
    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: 'flaky' }] });
    expect(f.jobs.peek(flaky.jobId)).toMatchObject({ state: 'processing', attempts: 1 });
    expect(f.jobs.loadedRows(flaky.jobId)).toBe(0);
    expect(f.notifier.eventsOf(flaky.jobId).map((e) => e.type)).not.toContain('job.failed');
    const firstAttemptSeqs = f.notifier.eventsOf(flaky.jobId).map((e) => e.seq);

    f.objects.upload(flaky.key, withoutFault(csv(3, ['!throw']))); // the fault is gone
    const retried = await handler(sqs({ body: notification(f, flaky.key), id: 'flaky', receiveCount: 2 }));
    expect(retried).toEqual({ batchItemFailures: [] });
    expect(f.jobs.loadedRows(flaky.jobId)).toBe(3);
    expect(f.jobs.peek(flaky.jobId)).toMatchObject({ state: 'succeeded', attempts: 2 });
    const events = f.notifier.eventsOf(flaky.jobId);
    expectIncreasingSeqs(events);
    const retrySeqs = events.map((e) => e.seq).filter((s) => !firstAttemptSeqs.includes(s));
    expect(Math.min(...retrySeqs)).toBeGreaterThan(Math.max(...firstAttemptSeqs));
  });

  it('marks the job failed on the last delivery instead of leaving it processing', async () => {
    const f = fakeDeps();
    const { jobId, key } = await upload(f, csv(3, ['!throw']));
    const handler = makeSqsIngestHandler(f.provide);
    expect(
      (await handler(sqs({ body: notification(f, key), receiveCount: 1 }))).batchItemFailures,
    ).toHaveLength(1);
    expect((await handler(sqs({ body: notification(f, key), receiveCount: 3 }))).batchItemFailures).toEqual(
      [],
    );
    expect(f.jobs.peek(jobId)).toMatchObject({ state: 'failed', error: { code: 'UPSTREAM_UNAVAILABLE' } });
    const events = f.notifier.eventsOf(jobId);
    expect(events.at(-1)).toMatchObject({ type: 'job.failed', error: { code: 'UPSTREAM_UNAVAILABLE' } });
    expectIncreasingSeqs(events);
  });

  it('retries when the database is down at claim time, changing nothing', async () => {
    const f = fakeDeps();
    const { jobId, key } = await upload(f, csv(1));
    f.jobs.failNextWith(
      new DatabaseError('database error while claiming a job', { retryable: true, sqlState: '57P01' }),
    );
    const result = await makeSqsIngestHandler(f.provide)(sqs({ body: notification(f, key) }));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(f.jobs.peek(jobId)).toMatchObject({ state: 'awaiting_upload', attempts: 0 });
  });

  it('fails a job with INTERNAL (no internals) on an unexpected error, without retry', async () => {
    const f = fakeDeps();
    const { jobId, key } = await upload(f, csv(2, ['!bug']));
    const result = await makeSqsIngestHandler(f.provide)(sqs({ body: notification(f, key) }));
    expect(result.batchItemFailures).toEqual([]);
    const job = f.jobs.peek(jobId);
    expect(job).toMatchObject({
      state: 'failed',
      error: { code: 'INTERNAL', message: 'Something went wrong on our side.' },
    });
    expect(f.jobs.loadedRows(jobId)).toBe(0);
  });

  it('skips, without retry, what is not an upload of one of our jobs', async () => {
    const f = fakeDeps();
    const alice = await upload(f, csv(1));
    const handler = makeSqsIngestHandler(f.provide);
    const foreignOwner = alice.key.replace(ALICE, BOB);
    const bodies = [
      'not json',
      JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }),
      JSON.stringify({ Records: [record(alice.key, 'some-other-bucket')] }),
      JSON.stringify({ Records: [record(alice.key, f.objects.bucket, 'ObjectRemoved:Delete')] }),
      notification(f, `uploads/${ALICE}/readme.txt`),
      notification(f, `uploads/${ALICE}/00000000-0000-4000-8000-00000000abcd.csv`),
      notification(f, foreignOwner),
    ];
    const result = await handler(sqs(...bodies.map((body, i) => ({ body, id: `x-${i}` }))));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(f.jobs.peek(alice.jobId)).toMatchObject({ state: 'awaiting_upload', attempts: 0 });
    expect(f.notifier.sent).toEqual([]);
  });

  it('handles every record of a message with several, and retries the message if one needs it', async () => {
    const f = fakeDeps();
    const good = await upload(f, csv(2));
    const flaky = await upload(f, csv(2, ['!throw']));
    const handler = makeSqsIngestHandler(f.provide);
    const body = notification(f, good.key, flaky.key);
    expect(await handler(sqs({ body }))).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
    expect(f.jobs.loadedRows(good.jobId)).toBe(2);
    f.objects.upload(flaky.key, withoutFault(csv(2, ['!throw'])));
    expect(await handler(sqs({ body, receiveCount: 2 }))).toEqual({ batchItemFailures: [] });
    expect(f.jobs.loadedRows(good.jobId)).toBe(2);
    expect(f.jobs.loadedRows(flaky.jobId)).toBe(2);
  });

  it('finishes the job when the notifier fails, and asks again to tell the owner', async () => {
    const f = fakeDeps();
    f.notifier.failWith = new Error('publisher down');
    const { jobId, key } = await upload(f, csv(2));
    const handler = makeSqsIngestHandler(f.provide);
    const first = await handler(sqs({ body: notification(f, key), id: 'm-1' }));
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: 'm-1' }]);
    expect(f.jobs.peek(jobId)).toMatchObject({ state: 'succeeded', rowsLoaded: 2, notifiedAt: null });
    // The publisher is back: the redelivery loads nothing again and sends the same terminal event.
    f.notifier.failWith = undefined;
    const second = await handler(sqs({ body: notification(f, key), id: 'm-1', receiveCount: 2 }));
    expect(second.batchItemFailures).toEqual([]);
    const terminal = f.notifier.eventsOf(jobId);
    expect(terminal).toEqual([
      expect.objectContaining({ type: 'job.succeeded', rowsLoaded: 2, seq: f.jobs.peek(jobId)?.seqReserved }),
    ]);
    expect(f.jobs.peek(jobId)?.notifiedAt).toBeInstanceOf(Date);
    expect(f.jobs.peek(jobId)?.attempts).toBe(1);
    // Told: a later duplicate is a no-op.
    await handler(sqs({ body: notification(f, key), id: 'm-2' }));
    expect(f.notifier.eventsOf(jobId)).toHaveLength(1);
  });

  it('resends a lost terminal event with the seq of the first, so clients drop the copy', async () => {
    const f = fakeDeps();
    const { jobId, key } = await upload(f, csv(1, ['!bad']));
    f.notifier.lose = true;
    const handler = makeSqsIngestHandler(f.provide);
    expect((await handler(sqs({ body: notification(f, key) }))).batchItemFailures).toHaveLength(1);
    f.notifier.lose = false;
    expect((await handler(sqs({ body: notification(f, key), receiveCount: 2 }))).batchItemFailures).toEqual(
      [],
    );
    const job = f.jobs.peek(jobId);
    expect(f.notifier.eventsOf(jobId)).toEqual([
      expect.objectContaining({ type: 'job.failed', seq: job?.seqReserved, error: job?.error }),
    ]);
  });

  it('on the last delivery, a lost terminal event is logged and the message let go', async () => {
    const f = fakeDeps();
    const { jobId, key } = await upload(f, csv(2));
    f.notifier.lose = true;
    const result = await makeSqsIngestHandler(f.provide)(
      sqs({ body: notification(f, key), receiveCount: f.deps.maxReceives }),
    );
    expect(result.batchItemFailures).toEqual([]);
    expect(f.jobs.peek(jobId)).toMatchObject({ state: 'succeeded', notifiedAt: null });
    expect(
      f.logs.entries.some((e) => e.message === 'the owner was not told the outcome and no delivery is left'),
    ).toBe(true);
  });

  it('logs with job and message correlation, never row contents or URLs', async () => {
    const f = fakeDeps();
    const good = await upload(f, csv(3));
    const bad = await upload(f, csv(1, ['!bad']));
    await makeSqsIngestHandler(f.provide)(
      sqs({ body: notification(f, good.key), id: 'g' }, { body: notification(f, bad.key), id: 'b' }),
      { awsRequestId: 'aws-req-1', getRemainingTimeInMillis: () => 60_000 },
    );
    const succeeded = f.logs.entries.find((e) => e.message === 'job succeeded');
    expect(succeeded).toMatchObject({
      jobId: good.jobId,
      messageId: 'g',
      requestId: 'aws-req-1',
      rowsLoaded: 3,
    });
    expect(f.logs.entries.find((e) => e.message === 'job failed')).toMatchObject({
      jobId: bad.jobId,
      code: 'INVALID_VALUE',
    });
    expect(f.logs.text).not.toMatch(/SECRET-ROW|!bad|https?:\/\//);
  });
});
