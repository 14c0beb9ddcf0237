import { randomBytes, randomUUID } from 'node:crypto';
import { errorEnvelope } from '@herald/protocol';
import { migrate } from '@herald/runtime/migrations';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CsvLoader, PgJobRepository } from '../../src/adapters/pg-job-repository.ts';
import { JobLockedError } from '../../src/errors.ts';
import { MIGRATIONS } from '../../src/migrations.ts';
import { describeJobStoreContract } from '../contracts/job-store.contract.ts';
import { TEST_DATASETS } from '../fakes/fake-deps.ts';
import { planLines, readAll } from '../fakes/line-loader.ts';

// The run's local stack (packages/local/tests/global-setup.ts) provides its endpoints.
const { postgres } = inject('stack' as never) as { postgres: { connectionString: string } };
// One schema for this file, so it runs beside other files without sharing tables.
const schema = `ingest_t_${randomBytes(4).toString('hex')}`;
const pool = new pg.Pool({
  connectionString: postgres.connectionString,
  options: `-c search_path=${schema}`,
  // Named, so a test can find this file's run among the other files' connections.
  application_name: schema,
  max: 4,
});
const admin = new pg.Client({ connectionString: postgres.connectionString });

/** The line loader's rules on real rows: a row per line in `contract_rows`, inside the run's transaction. */
let onLoad: (client: pg.ClientBase) => Promise<void> = async () => {};
const lineLoader: CsvLoader = async (client, request) => {
  await onLoad(client);
  const plan = planLines(await readAll(request));
  for (const row of plan.rows) {
    await client.query('INSERT INTO contract_rows (job_id, line) VALUES ($1, $2)', [request.jobId, row.line]);
  }
  if (plan.throws) throw plan.throws;
  // A refused COPY leaves the transaction aborted; the adapter must recover from that.
  if (!plan.outcome.ok) await client.query('SELECT 1 / 0').catch(() => {});
  return plan.outcome;
};
const repo = new PgJobRepository({ pool, loadCsv: lineLoader });

beforeAll(async () => {
  await admin.connect();
  await migrate(admin, { schema, sources: [MIGRATIONS] });
  await admin.query(`CREATE TABLE ${schema}.contract_rows (job_id uuid NOT NULL, line int NOT NULL)`);
});
afterAll(async () => {
  await pool.end();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
});

describeJobStoreContract('PgJobRepository on PostgreSQL', async () => ({
  store: repo,
  loadedRows: async (jobId) => {
    const { rows } = await pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM contract_rows WHERE job_id = $1',
      [jobId],
    );
    return rows[0]?.n ?? 0;
  },
}));

async function claimedJob(): Promise<{ jobId: string; userId: string; objectKey: string }> {
  const userId = `u-${randomUUID()}`;
  const jobId = randomUUID();
  const objectKey = `uploads/${userId}/${jobId}.csv`;
  await repo.create({ jobId, userId, dataset: 'transactions', fileName: 'a.csv', sizeBytes: 10, objectKey });
  await repo.claim({ jobId, userId, objectKey, seqBlock: 10 });
  return { jobId, userId, objectKey };
}

const dataset = TEST_DATASETS[0] as (typeof TEST_DATASETS)[number];
const source = (text: string) =>
  (async function* () {
    yield new TextEncoder().encode(text);
  })();

describe('PgJobRepository on PostgreSQL', () => {
  it('sets the run’s timeouts for its transaction only (SET LOCAL), never for the session', async () => {
    const { jobId } = await claimedJob();
    const seen: Record<string, string> = {};
    onLoad = async (client) => {
      for (const name of ['statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout']) {
        seen[name] = (await client.query(`SHOW ${name}`)).rows[0][name];
      }
    };
    try {
      await repo.runLocked(jobId, { timeoutMs: 42_000 }, (locked) =>
        locked.load({ dataset, source: source('h\n') }),
      );
    } finally {
      onLoad = async () => {};
    }
    expect(seen).toEqual({
      statement_timeout: '42s',
      lock_timeout: '10s',
      idle_in_transaction_session_timeout: '1min',
    });
    // Every pooled connection is back to the defaults.
    const clients = await Promise.all([pool.connect(), pool.connect()]);
    for (const client of clients) {
      expect((await client.query('SHOW statement_timeout')).rows[0].statement_timeout).toBe('0');
      client.release();
    }
  });

  it('takes a row lock, not an advisory lock', async () => {
    const { jobId } = await claimedJob();
    let advisory = -1;
    onLoad = async (client) => {
      const { rows } = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
      );
      advisory = rows[0]?.n as number;
      // Another session sees the row as locked.
      const other = await pool.connect();
      try {
        await other.query('BEGIN');
        await expect(
          other.query(`SELECT 1 FROM ingest_jobs WHERE job_id = $1 FOR UPDATE NOWAIT`, [jobId]),
        ).rejects.toMatchObject({ code: '55P03' });
      } finally {
        await other.query('ROLLBACK');
        other.release();
      }
    };
    try {
      await repo.runLocked(jobId, { timeoutMs: 30_000 }, (locked) =>
        locked.load({ dataset, source: source('h\n') }),
      );
    } finally {
      onLoad = async () => {};
    }
    expect(advisory).toBe(0);
  });

  it('turns a connection killed mid-load into a retryable error, discards the client and keeps nothing', async () => {
    const { jobId, userId } = await claimedJob();
    onLoad = async (client) => {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await client.query('INSERT INTO contract_rows (job_id, line) VALUES ($1, 0)', [jobId]);
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
      await client.query('SELECT 1');
    };
    let error: unknown;
    try {
      await repo.runLocked(jobId, { timeoutMs: 30_000 }, (locked) =>
        locked.load({ dataset, source: source('h\na\n') }),
      );
    } catch (e) {
      error = e;
    } finally {
      onLoad = async () => {};
    }
    expect(error).toMatchObject({ retryable: true });
    expect(error).not.toBeInstanceOf(JobLockedError);
    // The pool still works (the dead client was destroyed, not reused) and nothing was committed.
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM contract_rows WHERE job_id = $1', [
      jobId,
    ]);
    expect(rows[0]).toEqual({ n: 0 });
    expect((await repo.getForOwner(userId, jobId))?.state).toBe('processing');
    await repo.runLocked(jobId, { timeoutMs: 30_000 }, async (locked) => {
      await locked.load({ dataset, source: source('h\na\nb\n') });
      await locked.succeed({ rowsLoaded: 2, rowsRejected: 0, rowErrors: [], reportKey: null });
    });
    const after = await pool.query('SELECT count(*)::int AS n FROM contract_rows WHERE job_id = $1', [jobId]);
    expect(after.rows[0]).toEqual({ n: 2 });
  });

  it('cancels a running load from another session: its statement ends, the run rolls back and ends cancelled', async () => {
    const { jobId, userId } = await claimedJob();
    // The load writes a row, then runs a long statement, as a COPY would; the cancel comes from
    // a connection of the pool (another backend, the same role), as the cancel handler's does.
    let cancelled: Promise<unknown> = Promise.resolve();
    onLoad = async (client) => {
      await client.query('INSERT INTO contract_rows (job_id, line) VALUES ($1, 0)', [jobId]);
      cancelled = (async () => {
        for (;;) {
          const { rows } = await admin.query(
            "SELECT 1 FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'SELECT pg_sleep%'",
            [schema],
          );
          if (rows.length > 0) return repo.cancel(userId, jobId);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })();
      await client.query('SELECT pg_sleep(20)');
    };
    const started = Date.now();
    try {
      await repo.runLocked(jobId, { timeoutMs: 30_000 }, async (locked) => {
        const error = await locked.load({ dataset, source: source('h\na\n') }).catch((e: unknown) => e);
        expect(error).toMatchObject({ retryable: true, sqlState: '57014' });
        expect(await locked.cancelRequested()).toBe(true);
        await locked.cancel();
      });
    } finally {
      onLoad = async () => {};
    }
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await cancelled).toMatchObject({ kind: 'requested', job: { state: 'processing' } });
    expect(await repo.getForOwner(userId, jobId)).toMatchObject({
      state: 'cancelled',
      rowsLoaded: 0,
      error: { code: 'JOB_CANCELLED' },
    });
    const { rows } = await pool.query('SELECT count(*)::int AS n FROM contract_rows WHERE job_id = $1', [
      jobId,
    ]);
    expect(rows[0]).toEqual({ n: 0 });
    // Cancelling again is harmless, and signals nothing: the run's transaction is over.
    expect(await repo.cancel(userId, jobId)).toMatchObject({ kind: 'already-cancelled' });
  });

  it('cancels a job awaiting its upload at once, without waiting for anything', async () => {
    const userId = `u-${randomUUID()}`;
    const jobId = randomUUID();
    await repo.create({
      jobId,
      userId,
      dataset: 'transactions',
      fileName: 'a.csv',
      sizeBytes: 10,
      objectKey: `uploads/${userId}/${jobId}.csv`,
    });
    const result = await repo.cancel(userId, jobId);
    expect(result).toMatchObject({ kind: 'cancelled', job: { state: 'cancelled', seqReserved: 1 } });
    expect(await repo.cancel('someone-else', jobId)).toEqual({ kind: 'missing' });
    expect(await repo.cancel(userId, jobId)).toMatchObject({ kind: 'already-cancelled' });
  });

  it('turns a connection cut between statements of the run into a retryable error for each step', async () => {
    // Found by the hardening suite: a cut while the worker read S3 left pg's "not queryable"
    // untranslated INSIDE the run, where the worker took it for an unexpected error and failed
    // the job (it came out retryable only because the failure write broke too).
    for (const step of ['load', 'succeed', 'fail'] as const) {
      const { jobId } = await claimedJob();
      let inside: unknown;
      await repo
        .runLocked(jobId, { timeoutMs: 30_000 }, async (locked) => {
          // The run's connection: the one of this file's pool inside a transaction right now.
          await admin.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE application_name = $1 AND state LIKE 'idle in transaction%'`,
            [schema],
          );
          await new Promise((resolve) => setTimeout(resolve, 100));
          const run =
            step === 'load'
              ? locked.load({ dataset, source: source('h\na\n') })
              : step === 'succeed'
                ? locked.succeed({ rowsLoaded: 0, rowsRejected: 0, rowErrors: [], reportKey: null })
                : locked.fail({
                    error: errorEnvelope('INTERNAL'),
                    rowsRejected: 0,
                    rowErrors: [],
                    reportKey: null,
                  });
          inside = await run.then(
            () => undefined,
            (error: unknown) => error,
          );
          throw inside;
        })
        .catch(() => {});
      expect(inside, step).toMatchObject({ name: 'DatabaseError', retryable: true });
    }
  });

  it('keeps finished_at consistent with the state (a CHECK in migration 002)', async () => {
    const { jobId } = await claimedJob();
    await expect(
      pool.query("UPDATE ingest_jobs SET state = 'succeeded' WHERE job_id = $1", [jobId]),
    ).rejects.toMatchObject({
      code: '23514',
    });
  });
});
