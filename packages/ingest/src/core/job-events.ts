import {
  type ErrorEnvelope,
  errorEnvelope,
  type JobEvent,
  type JobFailedEvent,
  MAX_ROW_ERRORS,
  type RowError,
} from '@herald/protocol';
import type { Clock, Logger } from '@herald/runtime';
import type { JobRecord, Notifier } from '../ports.ts';
import type { LoadProgress } from './load-contract.ts';
import { ProgressThrottle, type ProgressThrottleOptions, progressFigures } from './progress-throttle.ts';

/**
 * Event seqs one claim reserves. The throttle sends at most one progress event per interval,
 * so 10 000 covers 40 minutes at 4 events/s — past the 15-minute Lambda limit — and the stream
 * stops sending progress rather than overrun its block (it keeps the last seq for the terminal
 * event). Blocks are committed before use, so seqs increase per job across retries.
 */
export const SEQ_BLOCK = 10_000;

/** The seqs one attempt may use: `first` … `last`, inclusive. */
export interface SeqRange {
  readonly first: number;
  readonly last: number;
}

/**
 * The block that ends at a job's `seqReserved` (the latest reservation).
 *
 * @example
 * seqBlockEndingAt(20_000); // { first: 10_001, last: 20_000 }
 */
export function seqBlockEndingAt(seqReserved: number, block: number = SEQ_BLOCK): SeqRange {
  return { first: Math.max(0, seqReserved - block + 1), last: seqReserved };
}

/**
 * A `job.failed` event.
 *
 * @example
 * notifier.notify(userId, jobFailedEvent({ jobId, seq, at, error }));
 */
export function jobFailedEvent(input: {
  jobId: string;
  seq: number;
  at: number;
  error: ErrorEnvelope;
  rowErrors?: readonly RowError[];
}): JobFailedEvent {
  const event: JobFailedEvent = {
    type: 'job.failed',
    seq: input.seq,
    at: new Date(input.at).toISOString(),
    jobId: input.jobId,
    error: input.error,
  };
  if (input.rowErrors !== undefined && input.rowErrors.length > 0) event.rowErrors = [...input.rowErrors];
  return event;
}

/**
 * The terminal event of a finished job, rebuilt from its row: the same type, `seq` (the row's
 * `seq_reserved`, which the terminal event always takes) and time as the one its worker sent or
 * meant to send, so sending it again is harmless. `durationMs` is the row's start-to-finish time
 * (the worker measured its own attempt; close, not equal).
 *
 * @example
 * if (claim.kind === 'finished' && claim.job.notifiedAt === null) notify(terminalEventOf(claim.job));
 */
export function terminalEventOf(job: JobRecord): JobEvent {
  const finishedAt = job.finishedAt ?? job.updatedAt;
  const common = { seq: job.seqReserved, at: finishedAt.toISOString(), jobId: job.jobId };
  const durationMs = Math.max(0, finishedAt.getTime() - (job.startedAt ?? finishedAt).getTime());
  if (job.state === 'succeeded') {
    return {
      type: 'job.succeeded',
      ...common,
      rowsLoaded: job.rowsLoaded,
      rowsRejected: job.rowsRejected,
      durationMs,
    };
  }
  if (job.state === 'validated') {
    return {
      type: 'job.validated',
      ...common,
      rowsLoaded: job.rowsLoaded,
      rowsRejected: job.rowsRejected,
      durationMs,
    };
  }
  if (job.state === 'cancelled')
    return { type: 'job.cancelled', ...common, error: job.error ?? errorEnvelope('JOB_CANCELLED') };
  return jobFailedEvent({
    jobId: job.jobId,
    seq: job.seqReserved,
    at: finishedAt.getTime(),
    error: job.error ?? errorEnvelope('INTERNAL'),
    rowErrors: job.rowErrors.slice(0, MAX_ROW_ERRORS),
  });
}

/**
 * Hands one event to the notifier: true when it took it. The Notifier contract says it never
 * throws; a broken one is logged here instead of failing the job.
 *
 * @example
 * if (!(await notifySafely(notifier, userId, event, log))) return 'retry';
 */
export async function notifySafely(
  notifier: Notifier,
  userId: string,
  event: JobEvent,
  log: Logger,
): Promise<boolean> {
  try {
    return await notifier.notify(userId, event);
  } catch (error) {
    log.log('warn', 'event not delivered', { jobId: event.jobId, type: event.type, seq: event.seq, error });
    return false;
  }
}

export interface JobEventStreamOptions {
  readonly jobId: string;
  readonly userId: string;
  readonly seq: SeqRange;
  readonly notifier: Notifier;
  readonly clock: Clock;
  readonly log: Logger;
  readonly progress: ProgressThrottleOptions;
}

/** An event before the stream numbers and stamps it. */
type Unnumbered = DistributiveOmit<JobEvent, 'seq' | 'at'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * The events of one attempt at a job, sent to its owner in order. Seqs are assigned when an
 * event is SENT, from the attempt's reserved block, so they strictly increase in the order the
 * owner receives them. The terminal event always takes the block's LAST seq, which is the job
 * row's `seq_reserved` once it is finished: a worker that finds the job finished but its owner
 * never told (a crash between COMMIT and the send) rebuilds the very same event from the row,
 * and a client that already has it drops the copy by its seq. Progress is throttled ({@link ProgressThrottle}) and never queues up: if
 * the notifier is slow, only the latest pending progress is sent. Once a terminal event (or
 * {@link abandon}) starts, no progress follows.
 *
 * Sending never throws and never fails the job: a notifier error is logged and skipped.
 *
 * @example
 * const events = new JobEventStream({ jobId, userId, seq, notifier, clock, log, progress: {} });
 * events.queued('transactions');
 * events.startProgress(bytesTotal);
 * loadCsv({ …, onProgress: (p) => events.progress(p) });
 * await events.succeeded({ rowsLoaded, rowsRejected, durationMs });   // after COMMIT
 */
export class JobEventStream {
  readonly #options: JobEventStreamOptions;
  #next: number;
  #tail: Promise<void> = Promise.resolve();
  #throttle: ProgressThrottle | undefined;
  #bytesTotal = 0;
  #progressStartedAt = 0;
  #pendingProgress: LoadProgress | undefined;
  #ended = false;

  constructor(options: JobEventStreamOptions) {
    if (options.seq.last - options.seq.first < 1) throw new RangeError('a seq range needs at least two seqs');
    this.#options = options;
    this.#next = options.seq.first;
  }

  /** The last seq sent so far; `first - 1` before any. */
  get lastSeq(): number {
    return this.#next - 1;
  }

  /** `job.queued`: a worker took the job. */
  queued(dataset: string): void {
    if (this.#ended) return;
    this.#enqueue(() => ({ type: 'job.queued', jobId: this.#options.jobId, dataset }));
  }

  /** Starts progress reporting for an object of `bytesTotal` bytes (the throttle's clock starts now). */
  startProgress(bytesTotal: number): void {
    this.#bytesTotal = bytesTotal;
    this.#progressStartedAt = this.#options.clock.now();
    this.#throttle = new ProgressThrottle(this.#options.progress, this.#progressStartedAt);
  }

  /** The loader's progress callback: cheap, synchronous, throttled. */
  progress(progress: LoadProgress): void {
    const throttle = this.#throttle;
    if (this.#ended || throttle === undefined) return;
    const now = this.#options.clock.now();
    const figures = progressFigures(progress, this.#bytesTotal, now - this.#progressStartedAt);
    if (!throttle.offer(figures.percent, now)) return;
    const alreadyScheduled = this.#pendingProgress !== undefined;
    this.#pendingProgress = progress;
    if (alreadyScheduled) return;
    this.#tail = this.#tail.then(() => this.#sendPendingProgress());
  }

  /**
   * `job.succeeded`: call after COMMIT. Resolves once every event of the attempt was handed
   * over, with whether the terminal event itself was (false: the notifier failed; send it again).
   */
  succeeded(result: { rowsLoaded: number; rowsRejected: number; durationMs: number }): Promise<boolean> {
    return this.#terminal(() => ({
      type: 'job.succeeded',
      jobId: this.#options.jobId,
      rowsLoaded: result.rowsLoaded,
      rowsRejected: result.rowsRejected,
      durationMs: Math.max(0, Math.round(result.durationMs)),
    }));
  }

  /** `job.validated`: a dry run's outcome, after COMMIT. Resolves like {@link succeeded}. */
  validated(result: { rowsLoaded: number; rowsRejected: number; durationMs: number }): Promise<boolean> {
    return this.#terminal(() => ({
      type: 'job.validated',
      jobId: this.#options.jobId,
      rowsLoaded: result.rowsLoaded,
      rowsRejected: result.rowsRejected,
      durationMs: Math.max(0, Math.round(result.durationMs)),
    }));
  }

  /** `job.cancelled`: call after the cancellation is committed. Resolves like {@link succeeded}. */
  cancelled(): Promise<boolean> {
    return this.#terminal(() => ({
      type: 'job.cancelled',
      jobId: this.#options.jobId,
      error: errorEnvelope('JOB_CANCELLED'),
    }));
  }

  /** `job.failed`: call after the failure is committed. Resolves like {@link succeeded}. */
  failed(error: ErrorEnvelope, rowErrors: readonly RowError[] = []): Promise<boolean> {
    return this.#terminal(() =>
      rowErrors.length > 0
        ? { type: 'job.failed', jobId: this.#options.jobId, error, rowErrors: [...rowErrors] }
        : { type: 'job.failed', jobId: this.#options.jobId, error },
    );
  }

  /** Ends the attempt without a terminal event (it will be retried); waits for sends in flight. */
  async abandon(): Promise<void> {
    this.#end();
    await this.#tail;
  }

  #end(): void {
    this.#ended = true;
    this.#throttle?.close();
    this.#pendingProgress = undefined;
  }

  async #terminal(build: () => Unnumbered): Promise<boolean> {
    if (this.#ended) return false;
    this.#end();
    let delivered = false;
    this.#tail = this.#tail.then(async () => {
      delivered = await this.#send(build, true);
    });
    await this.#tail;
    return delivered;
  }

  async #sendPendingProgress(): Promise<void> {
    const progress = this.#pendingProgress;
    this.#pendingProgress = undefined;
    if (progress === undefined || this.#ended) return;
    const now = this.#options.clock.now();
    const figures = progressFigures(progress, this.#bytesTotal, now - this.#progressStartedAt);
    await this.#send(() => ({ type: 'job.progress', jobId: this.#options.jobId, ...figures }), false);
  }

  #enqueue(build: () => Unnumbered): void {
    this.#tail = this.#tail.then(async () => {
      await this.#send(build, false);
    });
  }

  /** Sends one event; true when the notifier took it. */
  async #send(build: () => Unnumbered, terminal: boolean): Promise<boolean> {
    // Non-terminal events leave the block's last seq free for the terminal one.
    if (!terminal && this.#next >= this.#options.seq.last) {
      this.#options.log.log('warn', 'event seq block exhausted; event not sent', {
        jobId: this.#options.jobId,
      });
      return false;
    }
    const event = {
      ...build(),
      seq: terminal ? this.#options.seq.last : this.#next,
      at: new Date(this.#options.clock.now()).toISOString(),
    } as JobEvent;
    this.#next = event.seq + 1;
    return notifySafely(this.#options.notifier, this.#options.userId, event, this.#options.log);
  }
}
