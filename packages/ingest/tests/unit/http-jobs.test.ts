import { errorEnvelope, JobErrorsSchema, JobListSchema, JobViewSchema } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import { makeHttpGetJobHandler } from '../../src/handlers/http-get-job.ts';
import { makeHttpGetJobErrorsHandler } from '../../src/handlers/http-get-job-errors.ts';
import { makeHttpListJobsHandler } from '../../src/handlers/http-list-jobs.ts';
import { ALICE, BOB, fakeDeps } from '../fakes/fake-deps.ts';

type F = ReturnType<typeof fakeDeps>;

const event = (sub: string, options: { id?: string; query?: Record<string, string> } = {}) => ({
  pathParameters: options.id === undefined ? null : { id: options.id },
  queryStringParameters: options.query ?? null,
  requestContext: { requestId: 'req-2', authorizer: { claims: { sub, 'cognito:username': 'someone' } } },
});

async function seed(f: F, userId: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const jobId = f.deps.newId();
    await f.jobs.create({
      jobId,
      userId,
      dataset: 'transactions',
      fileName: `file-${i}.csv`,
      sizeBytes: 10,
      objectKey: `uploads/${userId}/${jobId}.csv`,
    });
    f.clock.advance(1000);
    ids.push(jobId);
  }
  return ids;
}

describe('http-get-job handler', () => {
  it('shows the caller’s own job', async () => {
    const f = fakeDeps();
    const [jobId] = await seed(f, ALICE, 1);
    const response = await makeHttpGetJobHandler(f.provide)(event(ALICE, { id: jobId as string }));
    expect(response.statusCode).toBe(200);
    expect(JobViewSchema.parse(JSON.parse(response.body))).toEqual({
      jobId,
      dataset: 'transactions',
      fileName: 'file-0.csv',
      sizeBytes: 10,
      state: 'awaiting_upload',
      dryRun: false,
      rowsLoaded: 0,
      rowsRejected: 0,
      error: null,
      createdAt: '2026-01-15T09:00:00.000Z',
      updatedAt: '2026-01-15T09:00:00.000Z',
      startedAt: null,
      finishedAt: null,
    });
  });

  it('answers the same 404 for another user’s job, an unknown id and a malformed id', async () => {
    const f = fakeDeps();
    const [jobId] = await seed(f, ALICE, 1);
    const bodies = new Set<string>();
    for (const id of [
      jobId as string,
      '00000000-0000-4000-8000-999999999999',
      'not-a-uuid',
      "1' OR '1'='1",
    ]) {
      const response = await makeHttpGetJobHandler(f.provide)(event(BOB, { id }));
      expect(response.statusCode).toBe(404);
      bodies.add(response.body);
    }
    expect([...bodies]).toEqual([JSON.stringify(errorEnvelope('NOT_FOUND', 'There is no such job.'))]);
  });
});

describe('http-list-jobs handler', () => {
  it('lists only the caller’s jobs, newest first, page by page', async () => {
    const f = fakeDeps();
    const alice = await seed(f, ALICE, 5);
    await seed(f, BOB, 2);
    const handler = makeHttpListJobsHandler(f.provide);
    const first = JobListSchema.parse(
      JSON.parse((await handler(event(ALICE, { query: { limit: '2' } }))).body),
    );
    expect(first.jobs.map((j) => j.jobId)).toEqual([alice[4], alice[3]]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = JobListSchema.parse(
      JSON.parse(
        (await handler(event(ALICE, { query: { limit: '2', cursor: first.nextCursor as string } }))).body,
      ),
    );
    expect(second.jobs.map((j) => j.jobId)).toEqual([alice[2], alice[1]]);
    const last = JobListSchema.parse(
      JSON.parse(
        (await handler(event(ALICE, { query: { limit: '2', cursor: second.nextCursor as string } }))).body,
      ),
    );
    expect(last.jobs.map((j) => j.jobId)).toEqual([alice[0]]);
    expect(last.nextCursor).toBeNull();
    const bob = JobListSchema.parse(JSON.parse((await handler(event(BOB))).body));
    expect(bob.jobs.every((j) => !alice.includes(j.jobId))).toBe(true);
    expect(bob.jobs).toHaveLength(2);
  });

  it('defaults to 20 per page and ignores unknown query parameters', async () => {
    const f = fakeDeps();
    await seed(f, ALICE, 25);
    const response = await makeHttpListJobsHandler(f.provide)(event(ALICE, { query: { _: '123' } }));
    expect(JSON.parse(response.body).jobs).toHaveLength(20);
  });

  it('refuses a limit outside 1–100 and a foreign or forged cursor with VALIDATION_FAILED', async () => {
    const f = fakeDeps();
    await seed(f, ALICE, 3);
    const bobJobs = await seed(f, BOB, 1);
    const handler = makeHttpListJobsHandler(f.provide);
    const bobPage = JobListSchema.parse(
      JSON.parse((await handler(event(BOB, { query: { limit: '1' } }))).body),
    );
    expect(bobPage.nextCursor).toBeNull();
    const foreignCursor = Buffer.from(`j1:${bobJobs[0]}`).toString('base64url');
    const queries: Record<string, string>[] = [
      { limit: '101' },
      { limit: '0' },
      { limit: 'ten' },
      { cursor: 'garbage' },
      { cursor: foreignCursor },
    ];
    for (const query of queries) {
      const response = await handler(event(ALICE, { query }));
      expect(response.statusCode, JSON.stringify(query)).toBe(400);
      expect(JSON.parse(response.body).code).toBe('VALIDATION_FAILED');
    }
  });
});

describe('http-get-job-errors handler', () => {
  it('gives the first row errors and a short-lived link to the full report', async () => {
    const f = fakeDeps();
    const [jobId] = await seed(f, ALICE, 1);
    const key = `uploads/${ALICE}/${jobId}.csv`;
    await f.jobs.claim({ jobId: jobId as string, userId: ALICE, objectKey: key, seqBlock: 10 });
    const rowErrors = [{ line: 3, column: 'amount', value: '12,5', reason: '`12,5` is not a number' }];
    await f.jobs.runLocked(jobId as string, { timeoutMs: 1000 }, (locked) =>
      locked.fail({
        error: errorEnvelope('INVALID_VALUE', 'line 3, column `amount`: `12,5` is not a number'),
        rowsRejected: 1,
        rowErrors,
        reportKey: `reports/${ALICE}/${jobId}.json`,
      }),
    );
    const response = await makeHttpGetJobErrorsHandler(f.provide)(event(ALICE, { id: jobId as string }));
    expect(response.statusCode).toBe(200);
    const body = JobErrorsSchema.parse(JSON.parse(response.body));
    expect(body).toMatchObject({
      jobId,
      state: 'failed',
      rowsRejected: 1,
      rowErrors,
      error: { code: 'INVALID_VALUE' },
    });
    expect(body.report).toEqual({
      url: expect.stringContaining(`reports/${ALICE}/${jobId}.json`),
      expiresAt: new Date(f.clock.now() + 300_000).toISOString(),
      contentType: 'application/json',
    });
    expect(f.objects.presigned.at(-1)).toEqual({
      method: 'GET',
      key: `reports/${ALICE}/${jobId}.json`,
      expiresInSeconds: 300,
      downloadName: `${jobId}-errors.json`,
    });
  });

  it('answers without a report link when there is no report, and 404 for another user', async () => {
    const f = fakeDeps();
    const [jobId] = await seed(f, ALICE, 1);
    const handler = makeHttpGetJobErrorsHandler(f.provide);
    const own = JSON.parse((await handler(event(ALICE, { id: jobId as string }))).body);
    expect(own).toMatchObject({ state: 'awaiting_upload', rowErrors: [], report: null, error: null });
    expect((await handler(event(BOB, { id: jobId as string }))).statusCode).toBe(404);
    expect(f.objects.presigned).toEqual([]);
  });
});
