import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  JobErrorsSchema,
  JobListSchema,
  RejectReportSchema,
  SinglePutUploadResponseSchema,
} from '@herald/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  DEV_USERS,
  HEADER,
  issueToken,
  sleep,
  stack,
  transactionsCsv,
  upload,
  waitForJob,
} from './support.ts';

// Workflow 1 end to end through the local stack: the REST gateway and the S3 → queue → worker
// path run the same handlers as Lambda. Rows are told apart by `_job_id`, so other test files
// may load the same tables at the same time.

const db = new pg.Client({ connectionString: stack().postgres.connectionString });
const s3 = new S3Client({
  region: 'us-east-1',
  endpoint: stack().s3.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});
let alice: string;
let bob: string;

beforeAll(async () => {
  await db.connect();
  [alice, bob] = await Promise.all([issueToken('alice'), issueToken('bob')]);
});
afterAll(async () => {
  s3.destroy();
  await db.end();
});

/** The keys of the uploads bucket holding this job's upload. */
async function uploadObjectsOf(jobId: string): Promise<string[]> {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: stack().s3.buckets.uploads, Prefix: 'uploads/' }),
  );
  return (listed.Contents ?? []).map((o) => o.Key ?? '').filter((key) => key.endsWith(`/${jobId}.csv`));
}

async function rowsOf(jobId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM transactions WHERE _job_id = $1',
    [jobId],
  );
  return rows[0]?.n ?? 0;
}

describe('CSV ingest through the local stack', () => {
  it('loads an upload: POST /uploads, presigned PUT, job succeeded, rows with exact values', async () => {
    const [t1, t2, t3, c1, c2] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const text = [
      HEADER,
      `${t1},${c1},12.50,EUR,2026-05-01T10:00:00Z,first`,
      `${t2},${c2},-3.00,USD,2026-05-02T08:30:00+02:00,"quoted, with comma"`,
      `${t3},${c1},0.01,GBP,2026-05-03T00:00:00Z,`,
      '',
    ].join('\r\n');
    const { jobId } = await upload(alice, text);
    const job = await waitForJob(alice, jobId);
    expect(job).toMatchObject({
      state: 'succeeded',
      rowsLoaded: 3,
      rowsRejected: 0,
      error: null,
      dataset: 'transactions',
    });
    expect(job.finishedAt).not.toBeNull();
    const { rows } = await db.query(
      `SELECT transaction_id, customer_external_id, amount::text AS amount, currency, occurred_at, note
       FROM transactions WHERE _job_id = $1 ORDER BY occurred_at`,
      [jobId],
    );
    expect(rows).toEqual([
      {
        transaction_id: t1,
        customer_external_id: c1,
        amount: '12.50',
        currency: 'EUR',
        occurred_at: new Date('2026-05-01T10:00:00Z'),
        note: 'first',
      },
      {
        transaction_id: t2,
        customer_external_id: c2,
        amount: '-3.00',
        currency: 'USD',
        occurred_at: new Date('2026-05-02T06:30:00Z'),
        note: 'quoted, with comma',
      },
      {
        transaction_id: t3,
        customer_external_id: c1,
        amount: '0.01',
        currency: 'GBP',
        occurred_at: new Date('2026-05-03T00:00:00Z'),
        note: null,
      },
    ]);
  });

  it('fails a bad CSV with line and column, loads nothing, and serves the reject report', async () => {
    const text = [
      HEADER,
      `${randomUUID()},${randomUUID()},1.00,EUR,2026-05-01T10:00:00Z,ok`,
      `${randomUUID()},${randomUUID()},twelve,EUR,2026-05-01T10:00:00Z,bad amount`,
      '',
    ].join('\n');
    const { jobId } = await upload(alice, text);
    const job = await waitForJob(alice, jobId);
    expect(job.state).toBe('failed');
    expect(job.error?.message).toMatch(/line 3/);
    expect(await rowsOf(jobId)).toBe(0);
    const errors = await api(alice, 'GET', `/jobs/${jobId}/errors`);
    expect(errors.status).toBe(200);
    const body = JobErrorsSchema.parse(errors.body);
    expect(body.rowErrors[0]).toMatchObject({ line: 3, column: 'amount' });
    expect(body.report).not.toBeNull();
    const report = await fetch(body.report?.url as string);
    expect(report.status).toBe(200);
    expect(await report.json()).toMatchObject({
      jobId,
      error: { code: job.error?.code },
      rowErrors: [expect.objectContaining({ line: 3, column: 'amount', code: expect.any(String) })],
    });
  });

  it('validates a dry run (POST /uploads {dryRun: true}) and loads nothing: the job ends validated', async () => {
    const { text, ids } = transactionsCsv(25);
    const { jobId } = await upload(alice, text, { dryRun: true });
    const job = await waitForJob(alice, jobId);
    expect(job).toMatchObject({
      state: 'validated',
      dryRun: true,
      rowsLoaded: 25,
      rowsRejected: 0,
      error: null,
    });
    expect(await rowsOf(jobId)).toBe(0);
    const { rows } = await db.query('SELECT 1 FROM transactions WHERE transaction_id = ANY($1::uuid[])', [
      ids,
    ]);
    expect(rows).toEqual([]);
  });

  it('fails a dry run of a bad CSV with the same error, rows and report as the load', async () => {
    const text = [
      HEADER,
      `${randomUUID()},${randomUUID()},1.00,EUR,2026-05-01T10:00:00Z,ok`,
      `${randomUUID()},${randomUUID()},twelve,EUR,2026-05-01T10:00:00Z,bad amount`,
      `${randomUUID()},,2.00,EUR,2026-05-01T10:00:00Z,no customer`,
      '',
    ].join('\n');
    const [load, dry] = await Promise.all([upload(alice, text), upload(alice, text, { dryRun: true })]);
    const [loaded, validated] = await Promise.all([
      waitForJob(alice, load.jobId),
      waitForJob(alice, dry.jobId),
    ]);
    expect(validated).toMatchObject({ state: 'failed', dryRun: true });
    expect(validated.error).toEqual(loaded.error);
    expect(validated.rowsRejected).toBe(loaded.rowsRejected);
    const errorsOf = async (jobId: string) => {
      const body = JobErrorsSchema.parse((await api(alice, 'GET', `/jobs/${jobId}/errors`)).body);
      const document = RejectReportSchema.parse(await (await fetch(body.report?.url as string)).json());
      const { jobId: _, createdAt: __, ...report } = document;
      return { rowErrors: body.rowErrors, report };
    };
    expect(await errorsOf(dry.jobId)).toEqual(await errorsOf(load.jobId));
  });

  it('refuses an object larger than declared without loading it, and deletes it', async () => {
    const { text } = transactionsCsv(3);
    // s3rver does not check the signed Content-Length (S3 does), so the worker's own check shows.
    const { jobId } = await upload(alice, text, { declared: 50 });
    const job = await waitForJob(alice, jobId);
    expect(job).toMatchObject({ state: 'failed', error: { code: 'OBJECT_LARGER_THAN_DECLARED' } });
    expect(await rowsOf(jobId)).toBe(0);
    expect(await uploadObjectsOf(jobId)).toEqual([]);
  });

  it('refuses an object smaller than declared (a truncated file) without loading it, and deletes it', async () => {
    const { text } = transactionsCsv(3);
    const { jobId } = await upload(alice, text, { declared: Buffer.byteLength(text) + 1 });
    const job = await waitForJob(alice, jobId);
    expect(job).toMatchObject({
      state: 'failed',
      error: {
        code: 'OBJECT_SMALLER_THAN_DECLARED',
        message: `The uploaded file has ${Buffer.byteLength(text)} bytes, fewer than the ${Buffer.byteLength(text) + 1} declared for it.`,
      },
    });
    expect(await rowsOf(jobId)).toBe(0);
    expect(await uploadObjectsOf(jobId)).toEqual([]);
  });

  it('loads once when the same object is stored three times (three S3 events)', async () => {
    const { text } = transactionsCsv(50);
    const { jobId, put } = await upload(alice, text);
    expect((await waitForJob(alice, jobId)).state).toBe('succeeded');
    expect(await put()).toBe(200);
    expect(await put()).toBe(200);
    await sleep(1500); // the two late events are processed (no-ops) well within this
    expect(await rowsOf(jobId)).toBe(50);
    const { rows } = await db.query('SELECT attempts, state FROM ingest_jobs WHERE job_id = $1', [jobId]);
    expect(rows[0]).toEqual({ attempts: 1, state: 'succeeded' });
  });

  it('shows a user only their own jobs: another user gets 404 and an empty list', async () => {
    const { text } = transactionsCsv(1);
    const { jobId } = await upload(alice, text);
    await waitForJob(alice, jobId);
    expect(await api(bob, 'GET', `/jobs/${jobId}`)).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND' },
    });
    expect(await api(bob, 'GET', `/jobs/${jobId}/errors`)).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND' },
    });
    expect(await api(bob, 'GET', '/jobs/not-a-uuid')).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND' },
    });
    const bobs = JobListSchema.parse((await api(bob, 'GET', '/jobs?limit=100')).body);
    expect(bobs.jobs.map((j) => j.jobId)).not.toContain(jobId);
    const alices = JobListSchema.parse((await api(alice, 'GET', '/jobs?limit=100')).body);
    expect(alices.jobs.map((j) => j.jobId)).toContain(jobId);
    const { rows } = await db.query('SELECT user_id FROM ingest_jobs WHERE job_id = $1', [jobId]);
    expect(rows[0]).toEqual({ user_id: DEV_USERS.alice });
  });

  it('pages GET /jobs newest first', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await api(bob, 'POST', '/uploads', {
        dataset: 'customers',
        fileName: `c${i}.csv`,
        sizeBytes: 10,
      });
      ids.push(SinglePutUploadResponseSchema.parse(res.body).jobId);
    }
    const first = JobListSchema.parse((await api(bob, 'GET', '/jobs?limit=2')).body);
    expect(first.jobs.map((j) => j.jobId)).toEqual([ids[2], ids[1]]);
    const next = JobListSchema.parse(
      (await api(bob, 'GET', `/jobs?limit=2&cursor=${first.nextCursor}`)).body,
    );
    expect(next.jobs[0]?.jobId).toBe(ids[0]);
  });

  it.each([
    [{ dataset: 'payroll', fileName: 'a.csv', sizeBytes: 10 }, 400, 'UNKNOWN_DATASET'],
    [{ dataset: 'transactions', fileName: 'a.csv', sizeBytes: 3 * 1024 ** 3 }, 413, 'FILE_TOO_LARGE'],
    [{ dataset: 'transactions', fileName: '../a.csv', sizeBytes: 10 }, 400, 'INVALID_FILE_NAME'],
    [{ dataset: 'transactions', fileName: 'a.txt', sizeBytes: 10 }, 400, 'INVALID_FILE_NAME'],
    [{ dataset: 'transactions', fileName: 'a.csv', sizeBytes: 0 }, 400, 'EMPTY_FILE'],
    [{ dataset: 'transactions', fileName: 'a.csv' }, 400, 'VALIDATION_FAILED'],
    ['{"dataset":', 400, 'BAD_REQUEST'],
  ])('refuses POST /uploads %j with %i %s', async (body, status, code) => {
    const res = await api(alice, 'POST', '/uploads', body);
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ code, message: expect.any(String) });
  });

  it('loads exactly once after the database connection is killed mid-COPY (retry on redelivery)', async () => {
    const rows = 300_000;
    const { text, ids } = transactionsCsv(rows);
    const { jobId } = await upload(alice, text);
    // The backend holding the job's row lock is the worker's: find it through the lock
    // (xmax = the locker's transaction id), not by guessing from the query text.
    const deadline = Date.now() + 30_000;
    let killed = false;
    while (!killed && Date.now() < deadline) {
      const { rows: found } = await db.query<{ pid: number; query: string }>(
        `SELECT a.pid, a.query FROM ingest_jobs j
         JOIN pg_locks l ON l.locktype = 'transactionid' AND l.transactionid = j.xmax AND l.granted
         JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE j.job_id = $1 AND a.state = 'active' AND a.query ILIKE 'COPY%'`,
        [jobId],
      );
      if (found[0]) {
        const { rows: done } = await db.query('SELECT pg_terminate_backend($1) AS ok', [found[0].pid]);
        killed = done[0]?.ok === true;
      } else {
        await sleep(10);
      }
    }
    expect(killed).toBe(true);
    const job = await waitForJob(alice, jobId, 90_000);
    expect(job).toMatchObject({ state: 'succeeded', rowsLoaded: rows });
    const { rows: counts } = await db.query(
      'SELECT count(*)::int AS n, count(DISTINCT transaction_id)::int AS distinct_ids FROM transactions WHERE _job_id = $1',
      [jobId],
    );
    expect(counts[0]).toEqual({ n: rows, distinct_ids: rows });
    const { rows: sample } = await db.query('SELECT 1 FROM transactions WHERE transaction_id = $1', [
      ids[rows - 1],
    ]);
    expect(sample).toHaveLength(1);
    const { rows: attempts } = await db.query('SELECT attempts FROM ingest_jobs WHERE job_id = $1', [jobId]);
    expect(attempts[0]?.attempts).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
