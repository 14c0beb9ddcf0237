import { errorEnvelope, JobViewSchema } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import { makeHttpCancelJobHandler } from '../../src/handlers/http-cancel-job.ts';
import { makeSqsIngestHandler } from '../../src/handlers/sqs-ingest.ts';
import { ALICE, BOB, fakeDeps } from '../fakes/fake-deps.ts';
import { lineLoader } from '../fakes/in-memory-job-store.ts';

type F = ReturnType<typeof fakeDeps>;

const event = (sub: string, id: string) => ({
  pathParameters: { id },
  requestContext: { requestId: 'req-c', authorizer: { claims: { sub, 'cognito:username': 'someone' } } },
});

async function job(f: F, text = 'transaction_id,amount\nA,1.00\nB,2.00\n') {
  const jobId = f.deps.newId();
  const key = `uploads/${ALICE}/${jobId}.csv`;
  await f.jobs.create({
    jobId,
    userId: ALICE,
    dataset: 'transactions',
    fileName: 'a.csv',
    sizeBytes: new TextEncoder().encode(text).byteLength,
    objectKey: key,
  });
  f.objects.upload(key, text);
  return { jobId, key };
}

const notification = (f: F, key: string) =>
  JSON.stringify({
    Records: [
      { eventName: 'ObjectCreated:Put', s3: { bucket: { name: f.objects.bucket }, object: { key } } },
    ],
  });
const sqs = (body: string) => ({
  Records: [{ messageId: 'm-1', body, attributes: { ApproximateReceiveCount: '1' } }],
});

describe('http-cancel-job handler', () => {
  it('cancels a job awaiting its upload at once: 200, cancelled, one job.cancelled event', async () => {
    const f = fakeDeps();
    const { jobId } = await job(f);
    const response = await makeHttpCancelJobHandler(f.provide)(event(ALICE, jobId));
    expect(response.statusCode).toBe(200);
    expect(JobViewSchema.parse(JSON.parse(response.body))).toMatchObject({ jobId, state: 'cancelled' });
    expect(f.jobs.peek(jobId)).toMatchObject({ state: 'cancelled', seqReserved: 1 });
    expect(f.notifier.eventsOf(jobId)).toEqual([
      {
        type: 'job.cancelled',
        seq: 1,
        at: '2026-01-15T09:00:00.000Z',
        jobId,
        error: errorEnvelope('JOB_CANCELLED'),
      },
    ]);
  });

  it('is idempotent: a second cancel answers 200 again and sends nothing more', async () => {
    const f = fakeDeps();
    const { jobId } = await job(f);
    const handler = makeHttpCancelJobHandler(f.provide);
    await handler(event(ALICE, jobId));
    const again = await handler(event(ALICE, jobId));
    expect(again.statusCode).toBe(200);
    expect(JSON.parse(again.body)).toMatchObject({ state: 'cancelled' });
    expect(f.notifier.eventsOf(jobId)).toHaveLength(1);
  });

  it('never loads a cancelled job whose upload arrives afterwards', async () => {
    const f = fakeDeps();
    const { jobId, key } = await job(f);
    await makeHttpCancelJobHandler(f.provide)(event(ALICE, jobId));
    expect(await makeSqsIngestHandler(f.provide)(sqs(notification(f, key)))).toEqual({
      batchItemFailures: [],
    });
    expect(f.jobs.loadedRows(jobId)).toBe(0);
    expect(f.jobs.peek(jobId)?.state).toBe('cancelled');
    expect(f.notifier.eventsOf(jobId).map((e) => e.type)).toEqual(['job.cancelled']);
  });

  it('answers 409 JOB_ALREADY_FINISHED for a finished job, and changes nothing', async () => {
    const f = fakeDeps();
    const { jobId, key } = await job(f);
    await makeSqsIngestHandler(f.provide)(sqs(notification(f, key)));
    expect(f.jobs.peek(jobId)?.state).toBe('succeeded');
    const response = await makeHttpCancelJobHandler(f.provide)(event(ALICE, jobId));
    expect(response.statusCode).toBe(409);
    expect(JSON.parse(response.body)).toMatchObject({
      code: 'JOB_ALREADY_FINISHED',
      message: 'The job has already succeeded; there is nothing to cancel.',
    });
    expect(f.jobs.peek(jobId)?.state).toBe('succeeded');
    expect(f.jobs.loadedRows(jobId)).toBe(2);
  });

  it('answers the same 404 for another user’s job, an unknown id and a malformed id; nothing changes', async () => {
    const f = fakeDeps();
    const { jobId } = await job(f);
    const handler = makeHttpCancelJobHandler(f.provide);
    const bodies = new Set<string>();
    for (const [sub, id] of [
      [BOB, jobId],
      [ALICE, '00000000-0000-4000-8000-0000000000ff'],
      [ALICE, 'not-a-uuid'],
    ] as const) {
      const response = await handler(event(sub, id));
      expect(response.statusCode).toBe(404);
      bodies.add(response.body);
    }
    expect(bodies.size).toBe(1);
    expect(f.jobs.peek(jobId)?.state).toBe('awaiting_upload');
    expect(f.notifier.sent).toEqual([]);
  });

  it('stops a running load: 202, then the worker rolls back, ends the job cancelled, one terminal event', async () => {
    const f = fakeDeps();
    // The load reads one chunk, then waits: the cancel comes while it runs.
    let reading: () => void = () => {};
    const started = new Promise<void>((resolve) => {
      reading = resolve;
    });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    f.jobs.loader = async (request) => {
      reading();
      await new Promise<void>((resolve, reject) => {
        request.signal?.addEventListener('abort', () => reject(request.signal?.reason), { once: true });
        void gate.then(resolve);
      });
      return lineLoader()(request);
    };
    const { jobId, key } = await job(f);
    const worker = makeSqsIngestHandler(f.provide)(sqs(notification(f, key)));
    await started;
    const response = await makeHttpCancelJobHandler(f.provide)(event(ALICE, jobId));
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toMatchObject({ jobId, state: 'processing' });
    expect(await worker).toEqual({ batchItemFailures: [] });
    release();
    expect(f.jobs.loadedRows(jobId)).toBe(0);
    expect(f.jobs.peek(jobId)).toMatchObject({
      state: 'cancelled',
      rowsLoaded: 0,
      error: { code: 'JOB_CANCELLED' },
    });
    const events = f.notifier.eventsOf(jobId);
    expect(events.filter((e) => e.type === 'job.cancelled')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'job.cancelled', seq: f.jobs.peek(jobId)?.seqReserved });
    // A duplicate delivery afterwards is a no-op: still one terminal event.
    await makeSqsIngestHandler(f.provide)(sqs(notification(f, key)));
    expect(f.notifier.eventsOf(jobId).filter((e) => e.type === 'job.cancelled')).toHaveLength(1);
  });

  it('cancels, before reading anything, a job whose cancel came while it waited for a worker', async () => {
    const f = fakeDeps();
    const { jobId, key } = await job(f);
    // Claimed by a worker that died before its run: `processing`, no run in progress.
    await f.jobs.claim({ jobId, userId: ALICE, objectKey: key, seqBlock: 10 });
    expect((await makeHttpCancelJobHandler(f.provide)(event(ALICE, jobId))).statusCode).toBe(202);
    await makeSqsIngestHandler(f.provide)(sqs(notification(f, key)));
    expect(f.jobs.peek(jobId)?.state).toBe('cancelled');
    expect(f.jobs.loadedRows(jobId)).toBe(0);
    expect(f.notifier.eventsOf(jobId).map((e) => e.type)).toEqual(['job.queued', 'job.cancelled']);
  });
});
