import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, openAsBlob, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { datasetTableSql, declarationSql } from '@herald/ingest/datasets';
import { CreateUploadResponseSchema, type JobView, JobViewSchema } from '@herald/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTransactionsCsv } from '../../bench/_csv-gen.ts';
import { completeParts, putParts } from '../../packages/ingest/tests/integration/support.ts';
import { sampleDataset } from '../../packages/ingest/tests/support/sample-datasets.ts';
import { realtimeFixture } from '../../packages/local/tests/integration/realtime-helpers.ts';
import { issueToken, stack } from '../../packages/local/tests/support.ts';
import { recordFigures } from './support/report.ts';

// Cancel under load, on the real local stack: a 1,000,000-row file (≈ 112 MB) goes through
// POST /uploads → presigned PUT → S3 → queue → worker, and while its ONE COPY runs the owner
// calls POST /jobs/{id}/cancel. The cancel handler's connection is another backend than the
// worker's (as through RDS Proxy on AWS); it finds the worker's backend where the run recorded it
// (pid and transaction start) and ends its statement with pg_cancel_backend, which PostgreSQL
// allows between sessions of the same role. The worker rolls back: the table is exactly as before (a table of
// this file's own, so no other test writes to it), the job ends `cancelled`, and the job's event
// log holds one terminal event, job.cancelled.

const ROWS = 1_000_000;
const db = new pg.Client({ connectionString: stack().postgres.connectionString });
const fixture = realtimeFixture();
const name = `cancel_${randomBytes(4).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'herald-cancel-'));
let alice: string;
const figures: Record<string, number> = {};

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${stack().apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

/**
 * POST /uploads, then the file streamed to the presigned PUT, or (at or above the multipart
 * threshold, as ≈ 112 MB is) in parts read from disk one by one: the body is never held whole.
 */
async function upload(file: string, size: number): Promise<string> {
  const created = await api('POST', '/uploads', { dataset: name, fileName: 'big.csv', sizeBytes: size });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const { jobId, upload: presigned } = CreateUploadResponseSchema.parse(created.body);
  if (presigned.method === 'MULTIPART') {
    const numbers = Array.from({ length: presigned.partCount }, (_, i) => i + 1);
    const etags = await putParts(api, jobId, await openAsBlob(file), presigned.partSize, numbers);
    const completed = await completeParts(api, jobId, etags);
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    return jobId;
  }
  await new Promise<void>((resolve, reject) => {
    const req = request(
      presigned.url,
      { method: 'PUT', headers: { ...presigned.headers, 'content-length': String(size) } },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`PUT ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    pipeline(createReadStream(file), req).catch(reject);
  });
  return jobId;
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const job = async (jobId: string) => JobViewSchema.parse((await api('GET', `/jobs/${jobId}`)).body);
const finished = (jobId: string) =>
  waitFor(`job ${jobId} to finish`, async () => {
    const view = await job(jobId);
    return view.finishedAt === null ? undefined : view;
  });

/** The whole table, as one fingerprint: row count and a hash of every row. */
async function fingerprint(): Promise<string> {
  const { rows } = await db.query(
    `SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS f FROM public.${name} t`,
  );
  return (rows[0] as { f: string }).f;
}

beforeAll(async () => {
  await db.connect();
  alice = await issueToken('alice');
  // A dataset of this file's own (the sample transactions' columns, so its domains exist),
  // created and declared as a migration would, by the role that owns Herald's tables.
  const dataset = { ...sampleDataset('transactions'), name, table: name, uploadGroups: ['analysts'] };
  const owner = await db.query<{ sql: string }>(
    "SELECT format('SET LOCAL ROLE %I', tableowner) AS sql FROM pg_tables WHERE schemaname = 'public' AND tablename = 'ingest_jobs'",
  );
  await db.query('BEGIN');
  await db.query(owner.rows[0]?.sql ?? '');
  for (const statement of [...datasetTableSql(dataset), declarationSql(dataset)]) await db.query(statement);
  await db.query('COMMIT');
});

afterAll(async () => {
  await db.query(`DROP TABLE IF EXISTS public.${name}`);
  await db.query('DELETE FROM ingest_datasets WHERE name = $1', [name]);
  await db.end();
  fixture.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('cancelling a running 1M-row load (local stack)', () => {
  it('stops the COPY, rolls it back, leaves the table exactly as before and ends the job cancelled, once', async () => {
    // Rows already there, loaded by a job of their own.
    const small = join(dir, 'small.csv');
    const smallSize = await generateTransactionsCsv(small, 3, 1);
    const seeded = await finished(await upload(small, smallSize));
    expect(seeded).toMatchObject({ state: 'succeeded', rowsLoaded: 3 });
    const before = await fingerprint();

    const big = join(dir, 'big.csv');
    const size = await generateTransactionsCsv(big, ROWS, 16);
    figures.fileBytes = size;
    const jobId = await upload(big, size);
    // The worker's COPY is running (the backend its run recorded says so), and has been for a moment.
    const running = `SELECT 1 FROM ingest_job_runs r
      JOIN pg_stat_activity a ON a.pid = r.backend_pid AND a.xact_start = r.xact_start
      WHERE r.job_id = $1 AND a.state = 'active' AND a.query ILIKE 'COPY%'`;
    await waitFor('the worker to be in its COPY', async () => {
      const { rows } = await db.query(running, [jobId]);
      return rows.length > 0 ? true : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));

    const cancelledAt = Date.now();
    const cancel = await api('POST', `/jobs/${jobId}/cancel`);
    expect(cancel.status, JSON.stringify(cancel.body)).toBe(202);
    expect(cancel.body).toMatchObject({ jobId, state: 'processing' });
    const view: JobView = await finished(jobId);
    figures.cancelToCancelledMs = Date.now() - cancelledAt;
    expect(view).toMatchObject({
      state: 'cancelled',
      rowsLoaded: 0,
      rowsRejected: 0,
      error: { code: 'JOB_CANCELLED' },
    });

    expect(await fingerprint()).toBe(before);
    // The run's transaction is over: nothing of it is running any more.
    expect((await db.query(running.replace(" AND a.query ILIKE 'COPY%'", ''), [jobId])).rows).toEqual([]);

    // One terminal event, job.cancelled, last, with the job's final seq.
    const events = (await fixture.eventLog.readAfter(jobId, -1, Date.now(), 1000)).map((l) => l.event);
    const terminal = events.filter((e) => !['job.queued', 'job.progress'].includes(e.type));
    expect(terminal.map((e) => e.type)).toEqual(['job.cancelled']);
    expect(events.at(-1)?.type).toBe('job.cancelled');
    figures.progressEventsBeforeCancel = events.filter((e) => e.type === 'job.progress').length;

    // Repeating the cancel is harmless; a finished job cannot be cancelled.
    expect(await api('POST', `/jobs/${jobId}/cancel`)).toMatchObject({
      status: 200,
      body: { state: 'cancelled' },
    });
    expect(await api('POST', `/jobs/${seeded.jobId}/cancel`)).toMatchObject({
      status: 409,
      body: { code: 'JOB_ALREADY_FINISHED' },
    });
    expect((await fixture.eventLog.readAfter(jobId, -1, Date.now(), 1000)).length).toBe(events.length);
    recordFigures('cancel', { rows: ROWS, ...figures });
  }, 300_000);
});
