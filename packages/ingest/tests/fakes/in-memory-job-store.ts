import { errorEnvelope, type JobState } from '@herald/protocol';
import type { Clock } from '@herald/runtime';
import { CLAIMABLE_STATES, isFinished } from '../../src/core/job-state.ts';
import type { CsvLoadRequest, LoadOutcome } from '../../src/core/load-contract.ts';
import { DatabaseError, JobLockedError } from '../../src/errors.ts';
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
} from '../../src/ports.ts';
import { planLines, readAll } from './line-loader.ts';

/** Loads a request "inside the transaction": returns the outcome and how many rows it staged. */
export type FakeLoader = (request: CsvLoadRequest) => Promise<{ outcome: LoadOutcome; stagedRows: number }>;

/** The line loader (see `line-loader.ts`); `onChunk` runs per chunk read (e.g. to advance a fake clock). */
export function lineLoader(onChunk?: () => void): FakeLoader {
  return async (request) => {
    const plan = planLines(await readAll(request, onChunk));
    if (plan.throws) throw plan.throws;
    return { outcome: plan.outcome, stagedRows: plan.rows.length };
  };
}

/**
 * In-memory {@link JobRepository} and {@link JobWorkStore} with the PostgreSQL adapter's
 * transaction semantics: a run's writes (the job row and the rows it loaded) become visible
 * only when its function resolves; a throw discards them. A job held by a run is locked:
 * `claim` and `runLocked` answer {@link JobLockedError}, as `FOR UPDATE NOWAIT` does.
 * `loadedRows(jobId)` is the committed "table".
 */
export class InMemoryJobStore implements JobRepository, JobWorkStore {
  readonly #jobs = new Map<string, JobRecord>();
  readonly #locked = new Set<string>();
  readonly #rows = new Map<string, number>();
  readonly #cancels = new Set<string>();
  /** Runs in progress, by job: how a cancel stops one (as pg_cancel_backend ends its statement). */
  readonly #running = new Map<string, AbortController>();
  readonly #clock: Clock;
  loader: FakeLoader;
  #nextFailure: Error | undefined;

  constructor(clock: Clock, loader: FakeLoader = lineLoader()) {
    this.#clock = clock;
    this.loader = loader;
  }

  /** Makes the next call of any method reject (e.g. with a retryable DatabaseError). */
  failNextWith(error: Error): void {
    this.#nextFailure = error;
  }

  /** Committed rows loaded by a job. */
  loadedRows(jobId: string): number {
    return this.#rows.get(jobId) ?? 0;
  }

  /** The stored job, whoever owns it (for assertions). */
  peek(jobId: string): JobRecord | undefined {
    return this.#jobs.get(jobId);
  }

  async create(job: NewJob): Promise<JobRecord> {
    this.#throwIfFailing();
    if (this.#jobs.has(job.jobId))
      throw new DatabaseError('duplicate job id', { retryable: false, sqlState: '23505' });
    const now = new Date(this.#clock.now());
    const record: JobRecord = {
      ...job,
      dryRun: job.dryRun ?? false,
      state: 'awaiting_upload',
      attempts: 0,
      rowsLoaded: 0,
      rowsRejected: 0,
      error: null,
      rowErrors: [],
      reportKey: null,
      seqReserved: 0,
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      finishedAt: null,
      notifiedAt: null,
    };
    this.#jobs.set(job.jobId, record);
    return record;
  }

  async getForOwner(userId: string, jobId: string): Promise<JobRecord | undefined> {
    this.#throwIfFailing();
    const job = this.#jobs.get(jobId);
    return job?.userId === userId ? job : undefined;
  }

  async listForOwner(userId: string, page: JobPageRequest): Promise<JobPage | undefined> {
    this.#throwIfFailing();
    const own = [...this.#jobs.values()]
      .filter((job) => job.userId === userId)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.jobId < b.jobId ? 1 : -1));
    let start = 0;
    if (page.after !== undefined) {
      const index = own.findIndex((job) => job.jobId === page.after);
      if (index < 0) return undefined;
      start = index + 1;
    }
    const jobs = own.slice(start, start + page.limit);
    return { jobs, hasMore: own.length > start + page.limit };
  }

  async cancel(userId: string, jobId: string): Promise<CancelResult> {
    this.#throwIfFailing();
    const job = this.#jobs.get(jobId);
    if (job === undefined || job.userId !== userId) return { kind: 'missing' };
    if (job.state === 'cancelled') return { kind: 'already-cancelled', job };
    if (isFinished(job.state)) return { kind: 'finished', job };
    if (job.state === 'processing' || this.#locked.has(jobId)) {
      this.#cancels.add(jobId);
      this.#running.get(jobId)?.abort(
        new DatabaseError('canceling statement due to user request', {
          retryable: true,
          sqlState: '57014',
        }),
      );
      return { kind: 'requested', job };
    }
    const now = new Date(this.#clock.now());
    const cancelled: JobRecord = {
      ...job,
      error: errorEnvelope('JOB_CANCELLED'),
      state: 'cancelled',
      seqReserved: job.seqReserved + 1,
      finishedAt: now,
      updatedAt: now,
    };
    this.#jobs.set(jobId, cancelled);
    return { kind: 'cancelled', job: cancelled };
  }

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    this.#throwIfFailing();
    if (this.#locked.has(request.jobId)) throw new JobLockedError(request.jobId);
    const job = this.#matching(request);
    if (job === undefined) return { kind: 'missing' };
    if (isFinished(job.state)) return { kind: 'finished', job };
    if (!CLAIMABLE_STATES.includes(job.state)) throw new Error(`unclaimable state ${job.state}`);
    const now = new Date(this.#clock.now());
    const claimed: JobRecord = {
      ...job,
      state: 'processing',
      attempts: job.attempts + 1,
      seqReserved: job.seqReserved + request.seqBlock,
      startedAt: job.startedAt ?? now,
      updatedAt: now,
    };
    this.#jobs.set(job.jobId, claimed);
    return { kind: 'claimed', job: claimed };
  }

  async runLocked<T>(
    jobId: string,
    _options: LockedRunOptions,
    work: (locked: LockedJob) => Promise<T>,
  ): Promise<T> {
    this.#throwIfFailing();
    if (this.#locked.has(jobId)) throw new JobLockedError(jobId);
    const job = this.#jobs.get(jobId);
    if (job === undefined) throw new Error(`job ${jobId} disappeared`);
    this.#locked.add(jobId);
    const tx = { job, staged: 0 };
    const terminal = (state: JobState, fields: Partial<JobRecord>) => {
      const now = new Date(this.#clock.now());
      tx.job = { ...tx.job, ...fields, state, finishedAt: now, updatedAt: now };
    };
    const running = new AbortController();
    this.#running.set(jobId, running);
    const locked: LockedJob = {
      job,
      load: async (request) => {
        // A cancel ends the load's statement, as pg_cancel_backend does: the load throws.
        const signal = request.signal ? AbortSignal.any([request.signal, running.signal]) : running.signal;
        const { outcome, stagedRows } = await this.loader({ ...request, signal, jobId });
        // ok: false rolls back to the savepoint, as the PostgreSQL adapter does.
        if (outcome.ok) tx.staged += stagedRows;
        return outcome;
      },
      succeed: async (result: JobSuccess) => {
        // A dry run's load left nothing behind (the loader undid it).
        if (job.dryRun) tx.staged = 0;
        terminal(job.dryRun ? 'validated' : 'succeeded', { ...result, error: null });
      },
      fail: async (failure: JobFailure) => {
        tx.staged = 0;
        terminal('failed', { ...failure, rowsLoaded: 0 });
      },
      cancelRequested: async () => this.#cancels.has(jobId),
      cancel: async () => {
        tx.staged = 0;
        terminal('cancelled', {
          rowsLoaded: 0,
          rowsRejected: 0,
          rowErrors: [],
          reportKey: null,
          error: errorEnvelope('JOB_CANCELLED'),
        });
      },
    };
    try {
      const result = await work(locked);
      this.#jobs.set(jobId, tx.job);
      this.#rows.set(jobId, this.loadedRows(jobId) + tx.staged);
      return result;
    } finally {
      this.#locked.delete(jobId);
      this.#running.delete(jobId);
    }
  }

  async markFailed(ref: JobRef, failure: JobFailure): Promise<{ readonly seq: number } | undefined> {
    this.#throwIfFailing();
    if (this.#locked.has(ref.jobId)) {
      throw new DatabaseError('lock timeout', { retryable: true, sqlState: '55P03' });
    }
    const job = this.#matching(ref);
    if (job === undefined || isFinished(job.state)) return undefined;
    const now = new Date(this.#clock.now());
    const failed: JobRecord = {
      ...job,
      ...failure,
      state: 'failed',
      rowsLoaded: 0,
      seqReserved: job.seqReserved + 1,
      finishedAt: now,
      updatedAt: now,
    };
    this.#jobs.set(ref.jobId, failed);
    return { seq: failed.seqReserved };
  }

  async markNotified(jobId: string): Promise<void> {
    this.#throwIfFailing();
    const job = this.#jobs.get(jobId);
    if (job === undefined || !isFinished(job.state) || job.notifiedAt !== null) return;
    this.#jobs.set(jobId, { ...job, notifiedAt: new Date(this.#clock.now()) });
  }

  #matching(ref: JobRef): JobRecord | undefined {
    const job = this.#jobs.get(ref.jobId);
    return job !== undefined && job.userId === ref.userId && job.objectKey === ref.objectKey
      ? job
      : undefined;
  }

  #throwIfFailing(): void {
    const failure = this.#nextFailure;
    this.#nextFailure = undefined;
    if (failure !== undefined) throw failure;
  }
}
