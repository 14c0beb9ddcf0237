import { type ErrorEnvelope, errorEnvelope, type JobState, type RowError } from '@herald/protocol';
import { isConnectionBroken, sqlStateOf } from '@herald/runtime/pg';
import type pg from 'pg';
import { CLAIMABLE_STATES, FINISHED_STATES } from '../core/job-state.ts';
import type { CsvLoadRequest, LoadOutcome } from '../core/load-contract.ts';
import { IngestError, JobLockedError } from '../errors.ts';
import type {
  CancelResult,
  ClaimRequest,
  ClaimResult,
  JobFailure,
  JobPage,
  JobPageRequest,
  JobRecord,
  JobRef,
  JobRepository,
  JobSuccess,
  JobWorkStore,
  LockedJob,
  LockedRunOptions,
  NewJob,
} from '../ports.ts';
import { queryTranslated, toDatabaseError } from './pg-errors.ts';

/** The CSV load engine: loads a stream into the dataset's table inside the caller's open transaction. */
export type CsvLoader = (client: pg.ClientBase, request: CsvLoadRequest) => Promise<LoadOutcome>;

export interface PgJobRepositoryOptions {
  /** The container's one pool (small `max`). */
  readonly pool: pg.Pool;
  /** `loadCsv` from `pg-csv-loader.ts` (injected so tests can pass a stand-in). */
  readonly loadCsv: CsvLoader;
  /** Longest wait for a lock the loader needs (e.g. `replace` mode's table lock). Default 10 s. */
  readonly lockTimeoutMs?: number;
}

const COLUMNS = `job_id, user_id, dataset, file_name, size_bytes, object_key, dry_run, state, attempts, rows_loaded,
  rows_rejected, error, row_errors, report_key, seq_reserved, created_at, updated_at, started_at, finished_at,
  notified_at`;

interface JobRow {
  job_id: string;
  user_id: string;
  dataset: string;
  file_name: string;
  size_bytes: string;
  object_key: string;
  dry_run: boolean;
  state: JobState;
  attempts: number;
  rows_loaded: string;
  rows_rejected: string;
  error: ErrorEnvelope | null;
  row_errors: RowError[];
  report_key: string | null;
  seq_reserved: string;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  notified_at: Date | null;
}

// bigint columns arrive as strings; every value here is far below 2^53.
function toRecord(row: JobRow): JobRecord {
  return {
    jobId: row.job_id,
    userId: row.user_id,
    dataset: row.dataset,
    fileName: row.file_name,
    sizeBytes: Number(row.size_bytes),
    objectKey: row.object_key,
    dryRun: row.dry_run,
    state: row.state,
    attempts: row.attempts,
    rowsLoaded: Number(row.rows_loaded),
    rowsRejected: Number(row.rows_rejected),
    error: row.error,
    rowErrors: row.row_errors,
    reportKey: row.report_key,
    seqReserved: Number(row.seq_reserved),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    notifiedAt: row.notified_at,
  };
}

const LOCK_NOT_AVAILABLE = '55P03';

/**
 * The `ingest_jobs` table on PostgreSQL (RDS Proxy on AWS). API reads are single statements
 * on the pool with no session state. The worker's run holds ONE pooled connection for its whole
 * transaction and locks the job row with `SELECT … FOR UPDATE NOWAIT`: never an advisory lock
 * or a session-level `SET`, which would pin the connection in RDS Proxy
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-pinning.html); timeouts are
 * transaction-local (`set_config(…, true)`, i.e. `SET LOCAL`).
 *
 * @example
 * const jobs = new PgJobRepository({ pool, loadCsv });
 * const page = await jobs.listForOwner(userId, { limit: 20 });
 */
export class PgJobRepository implements JobRepository, JobWorkStore {
  readonly #pool: pg.Pool;
  readonly #loadCsv: CsvLoader;
  readonly #lockTimeoutMs: number;

  constructor(options: PgJobRepositoryOptions) {
    this.#pool = options.pool;
    this.#loadCsv = options.loadCsv;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
  }

  async create(job: NewJob): Promise<JobRecord> {
    const { rows } = await this.#query<JobRow>(
      'creating a job',
      `INSERT INTO ingest_jobs (job_id, user_id, dataset, file_name, size_bytes, object_key, dry_run)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [job.jobId, job.userId, job.dataset, job.fileName, job.sizeBytes, job.objectKey, job.dryRun ?? false],
    );
    return toRecord(rows[0] as JobRow);
  }

  async getForOwner(userId: string, jobId: string): Promise<JobRecord | undefined> {
    const { rows } = await this.#query<JobRow>(
      'reading a job',
      `SELECT ${COLUMNS} FROM ingest_jobs WHERE job_id = $1 AND user_id = $2`,
      [jobId, userId],
    );
    return rows[0] === undefined ? undefined : toRecord(rows[0]);
  }

  async listForOwner(userId: string, page: JobPageRequest): Promise<JobPage | undefined> {
    const limit = Math.max(1, Math.min(100, Math.floor(page.limit)));
    // Keyset pagination on (created_at, job_id), read from the anchor row itself so no
    // timestamp precision is lost on the way through JavaScript.
    const { rows } = await this.#query<JobRow>(
      'listing jobs',
      page.after === undefined
        ? `SELECT ${COLUMNS} FROM ingest_jobs WHERE user_id = $1
           ORDER BY created_at DESC, job_id DESC LIMIT $2`
        : `SELECT ${COLUMNS} FROM ingest_jobs
           WHERE user_id = $1 AND (created_at, job_id) <
             (SELECT created_at, job_id FROM ingest_jobs WHERE job_id = $3 AND user_id = $1)
           ORDER BY created_at DESC, job_id DESC LIMIT $2`,
      page.after === undefined ? [userId, limit + 1] : [userId, limit + 1, page.after],
    );
    if (page.after !== undefined && rows.length === 0 && !(await this.#ownsJob(userId, page.after))) {
      return undefined;
    }
    return { jobs: rows.slice(0, limit).map(toRecord), hasMore: rows.length > limit };
  }

  async cancel(userId: string, jobId: string): Promise<CancelResult> {
    const waiting = await this.#transaction(
      'cancelling a job',
      async (client): Promise<CancelResult | 'locked'> => {
        let found: JobRecord | undefined;
        try {
          const { rows } = await client.query<JobRow>(
            `SELECT ${COLUMNS} FROM ingest_jobs WHERE job_id = $1 AND user_id = $2 FOR UPDATE NOWAIT`,
            [jobId, userId],
          );
          found = rows[0] === undefined ? undefined : toRecord(rows[0]);
        } catch (error) {
          // A worker holds the row for its run: never wait for it (that is the load to stop).
          if (sqlStateOf(error) === LOCK_NOT_AVAILABLE) return 'locked';
          throw error;
        }
        if (found === undefined) return { kind: 'missing' };
        if (found.state === 'cancelled') return { kind: 'already-cancelled', job: found };
        if (FINISHED_STATES.includes(found.state)) return { kind: 'finished', job: found };
        if (found.state === 'processing') return 'locked';
        // Waiting for its upload: cancelled now, with one more seq for its event.
        const { rows } = await client.query<JobRow>(
          `UPDATE ingest_jobs SET state = 'cancelled', error = $2, seq_reserved = seq_reserved + 1,
             finished_at = now(), updated_at = now()
           WHERE job_id = $1 RETURNING ${COLUMNS}`,
          [jobId, JSON.stringify(errorEnvelope('JOB_CANCELLED'))],
        );
        return { kind: 'cancelled', job: toRecord(rows[0] as JobRow) };
      },
    );
    if (waiting !== 'locked') return waiting;
    // A worker has it. The request is committed first, so the worker sees it whenever it looks
    // (before loading, after loading, or when its statement fails); then the statement its run is
    // executing, if any, is cancelled — from this session, a different backend (through RDS Proxy
    // on AWS) of the same role, which is all pg_cancel_backend asks
    // (https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADMIN-SIGNAL). Only
    // the backend still in the run's own transaction is signalled: a pooled connection that has
    // since moved on to another job has another xact_start.
    const job = await this.getForOwner(userId, jobId);
    if (job === undefined) return { kind: 'missing' };
    await this.#query(
      'requesting a cancellation',
      `INSERT INTO ingest_job_runs (job_id, cancel_requested_at) VALUES ($1, now())
       ON CONFLICT (job_id) DO UPDATE SET cancel_requested_at = coalesce(ingest_job_runs.cancel_requested_at, now())`,
      [jobId],
    );
    await this.#query(
      'cancelling the running load',
      `SELECT pg_cancel_backend(a.pid) FROM ingest_job_runs r
         JOIN pg_stat_activity a ON a.pid = r.backend_pid AND a.xact_start = r.xact_start
        WHERE r.job_id = $1`,
      [jobId],
    );
    return { kind: 'requested', job };
  }

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    return this.#transaction('claiming a job', async (client) => {
      await client.query("SELECT set_config('statement_timeout', '15s', true)");
      const found = await this.#lockRow(client, request.jobId, request);
      if (found === undefined) return { kind: 'missing' };
      if (FINISHED_STATES.includes(found.state)) return { kind: 'finished', job: found };
      const { rows } = await client.query<JobRow>(
        `UPDATE ingest_jobs SET state = 'processing', attempts = attempts + 1,
           seq_reserved = seq_reserved + $2, started_at = coalesce(started_at, now()), updated_at = now()
         WHERE job_id = $1 AND state = ANY($3) RETURNING ${COLUMNS}`,
        [request.jobId, request.seqBlock, CLAIMABLE_STATES],
      );
      return { kind: 'claimed', job: toRecord(rows[0] as JobRow) };
    });
  }

  async runLocked<T>(
    jobId: string,
    options: LockedRunOptions,
    work: (locked: LockedJob) => Promise<T>,
  ): Promise<T> {
    return this.#transaction('running a job', async (client) => {
      // Bounds every statement of the run (the COPY included) by the time the Lambda has left,
      // so a run that cannot finish releases its lock instead of holding it past the timeout.
      await client.query(
        `SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true),
                set_config('idle_in_transaction_session_timeout', '60s', true)`,
        [`${Math.max(1000, Math.floor(options.timeoutMs))}ms`, `${this.#lockTimeoutMs}ms`],
      );
      const job = await this.#lockRow(client, jobId);
      if (job === undefined) throw new IngestError(`job ${jobId} disappeared while it was being processed`);
      // Which backend runs this job, in which transaction (now() is its start): committed at once
      // from another connection, so a cancel can find it while this transaction is still open.
      // As text: a JavaScript Date would drop the microseconds the comparison needs.
      const backend = await client.query<{ pid: number; xact_start: string }>(
        'SELECT pg_backend_pid() AS pid, now()::text AS xact_start',
      );
      await this.#query(
        'recording the run',
        `INSERT INTO ingest_job_runs (job_id, backend_pid, xact_start) VALUES ($1, $2, $3)
         ON CONFLICT (job_id) DO UPDATE SET backend_pid = EXCLUDED.backend_pid, xact_start = EXCLUDED.xact_start`,
        [jobId, backend.rows[0]?.pid, backend.rows[0]?.xact_start],
      );
      await client.query('SAVEPOINT job_run');
      return work(
        new PgLockedJob(client, job, this.#loadCsv, (what, text, values) => this.#query(what, text, values)),
      );
    });
  }

  async markFailed(job: JobRef, failure: JobFailure): Promise<{ readonly seq: number } | undefined> {
    return this.#transaction('marking a job failed', async (client) => {
      // Waits briefly for a worker that still holds the row; its outcome wins.
      await client.query(
        "SELECT set_config('lock_timeout', '5s', true), set_config('statement_timeout', '15s', true)",
      );
      const { rows } = await client.query<{ seq_reserved: string }>(
        `UPDATE ingest_jobs SET state = 'failed', error = $4, row_errors = $5, rows_rejected = $6, rows_loaded = 0,
           report_key = $7, seq_reserved = seq_reserved + 1, finished_at = now(), updated_at = now()
         WHERE job_id = $1 AND user_id = $2 AND object_key = $3 AND NOT (state = ANY($8))
         RETURNING seq_reserved`,
        [
          job.jobId,
          job.userId,
          job.objectKey,
          JSON.stringify(failure.error),
          JSON.stringify(failure.rowErrors),
          failure.rowsRejected,
          failure.reportKey,
          FINISHED_STATES,
        ],
      );
      return rows[0] === undefined ? undefined : { seq: Number(rows[0].seq_reserved) };
    });
  }

  async markNotified(jobId: string): Promise<void> {
    await this.#query(
      'recording a notification',
      `UPDATE ingest_jobs SET notified_at = now() WHERE job_id = $1 AND notified_at IS NULL
         AND state = ANY($2)`,
      [jobId, FINISHED_STATES],
    );
  }

  /** `SELECT … FOR UPDATE NOWAIT`: a row another worker holds is a {@link JobLockedError} at once. */
  async #lockRow(client: pg.ClientBase, jobId: string, owner?: JobRef): Promise<JobRecord | undefined> {
    try {
      const { rows } = await client.query<JobRow>(
        owner === undefined
          ? `SELECT ${COLUMNS} FROM ingest_jobs WHERE job_id = $1 FOR UPDATE NOWAIT`
          : `SELECT ${COLUMNS} FROM ingest_jobs WHERE job_id = $1 AND user_id = $2 AND object_key = $3
             FOR UPDATE NOWAIT`,
        owner === undefined ? [jobId] : [jobId, owner.userId, owner.objectKey],
      );
      return rows[0] === undefined ? undefined : toRecord(rows[0]);
    } catch (error) {
      if (sqlStateOf(error) === LOCK_NOT_AVAILABLE) throw new JobLockedError(jobId, { cause: error });
      throw error;
    }
  }

  async #ownsJob(userId: string, jobId: string): Promise<boolean> {
    const { rowCount } = await this.#query(
      'reading a job',
      'SELECT 1 FROM ingest_jobs WHERE job_id = $1 AND user_id = $2',
      [jobId, userId],
    );
    return (rowCount ?? 0) > 0;
  }

  #query<R extends pg.QueryResultRow>(
    what: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return queryTranslated<R>(this.#pool, what, text, values);
  }

  /**
   * BEGIN … COMMIT on one pooled client; ROLLBACK on a throw. A client whose connection broke
   * (or whose ROLLBACK failed) is destroyed instead of going back to the pool.
   */
  async #transaction<T>(what: string, body: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw toDatabaseError(error, what);
    }
    // While checked out, the pool does not listen for errors on the client; an error event
    // without a listener (the server ended the connection) would crash the process.
    let broken: unknown;
    const onError = (error: unknown) => {
      broken ??= error;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await body(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (broken === undefined && !isConnectionBroken(error)) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError;
        });
      } else {
        broken ??= error;
      }
      throw toDatabaseError(error, what);
    } finally {
      client.removeListener('error', onError);
      client.release(
        broken === undefined ? undefined : broken instanceof Error ? broken : new Error('broken connection'),
      );
    }
  }
}

/** A statement on the pool, outside the run's transaction. */
type PoolQuery = (what: string, text: string, values: unknown[]) => Promise<pg.QueryResult>;

/** The locked job of one run: loads and terminal writes on the run's connection. */
class PgLockedJob implements LockedJob {
  readonly job: JobRecord;
  readonly #client: pg.ClientBase;
  readonly #loadCsv: CsvLoader;
  readonly #pool: PoolQuery;

  constructor(client: pg.ClientBase, job: JobRecord, loadCsv: CsvLoader, pool: PoolQuery) {
    this.#client = client;
    this.job = job;
    this.#loadCsv = loadCsv;
    this.#pool = pool;
  }

  async cancelRequested(): Promise<boolean> {
    // On the pool: the run's transaction may be aborted by the very cancel it is asking about.
    const { rowCount } = await this.#pool(
      'reading a cancellation request',
      'SELECT 1 FROM ingest_job_runs WHERE job_id = $1 AND cancel_requested_at IS NOT NULL',
      [this.job.jobId],
    );
    return (rowCount ?? 0) > 0;
  }

  async cancel(): Promise<void> {
    await this.#query('undoing the run', 'ROLLBACK TO SAVEPOINT job_run');
    await this.#query(
      'marking the job cancelled',
      `UPDATE ingest_jobs SET state = 'cancelled', rows_loaded = 0, rows_rejected = 0, row_errors = '[]',
         report_key = NULL, error = $2, finished_at = now(), updated_at = now()
       WHERE job_id = $1`,
      [this.job.jobId, JSON.stringify(errorEnvelope('JOB_CANCELLED'))],
    );
  }

  async load(request: Omit<CsvLoadRequest, 'jobId' | 'dryRun'>): Promise<LoadOutcome> {
    await this.#query('starting the load', 'SAVEPOINT csv_load');
    let outcome: LoadOutcome;
    try {
      const { jobId, dryRun } = this.job;
      outcome = await this.#loadCsv(this.#client, { ...request, jobId, dryRun });
    } catch (error) {
      throw toDatabaseError(error, 'loading the CSV');
    }
    // Refused data: undo whatever the load did but keep the job row locked for the failure write.
    await this.#query(
      'ending the load',
      outcome.ok ? 'RELEASE SAVEPOINT csv_load' : 'ROLLBACK TO SAVEPOINT csv_load',
    );
    return outcome;
  }

  async succeed(result: JobSuccess): Promise<void> {
    await this.#query(
      'marking the job succeeded',
      `UPDATE ingest_jobs SET state = $6, rows_loaded = $2, rows_rejected = $3, row_errors = $4,
         report_key = $5, error = NULL, finished_at = now(), updated_at = now()
       WHERE job_id = $1`,
      [
        this.job.jobId,
        result.rowsLoaded,
        result.rowsRejected,
        JSON.stringify(result.rowErrors),
        result.reportKey,
        this.job.dryRun ? 'validated' : 'succeeded',
      ],
    );
  }

  async fail(failure: JobFailure): Promise<void> {
    // Back to just after the lock: nothing the run loaded survives, and an aborted
    // transaction (a failed statement) is usable again.
    await this.#query('undoing the run', 'ROLLBACK TO SAVEPOINT job_run');
    await this.#query(
      'marking the job failed',
      `UPDATE ingest_jobs SET state = 'failed', error = $2, row_errors = $3, rows_rejected = $4, rows_loaded = 0,
         report_key = $5, finished_at = now(), updated_at = now()
       WHERE job_id = $1`,
      [
        this.job.jobId,
        JSON.stringify(failure.error),
        JSON.stringify(failure.rowErrors),
        failure.rowsRejected,
        failure.reportKey,
      ],
    );
  }

  /**
   * One statement of the run, its failure translated at the boundary: a connection that broke
   * between statements (pg: "not queryable") is a retryable {@link DatabaseError}, never an
   * unexpected error that would fail the job.
   */
  async #query(what: string, text: string, values?: unknown[]): Promise<void> {
    try {
      await this.#client.query(text, values);
    } catch (error) {
      throw toDatabaseError(error, what);
    }
  }
}
