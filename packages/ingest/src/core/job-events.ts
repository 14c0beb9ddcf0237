import type { ErrorEnvelope, JobEvent, JobFailedEvent, RowError } from '@herald/protocol';
import type { Clock, Logger, Notifier } from '../ports.ts';
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
 * owner receives them. Progress is throttled ({@link ProgressThrottle}) and never queues up: if
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

  /** `job.succeeded`: call after COMMIT. Resolves once every event of the attempt was handed over. */
  succeeded(result: { rowsLoaded: number; rowsRejected: number; durationMs: number }): Promise<void> {
    return this.#terminal(() => ({
      type: 'job.succeeded',
      jobId: this.#options.jobId,
      rowsLoaded: result.rowsLoaded,
      rowsRejected: result.rowsRejected,
      durationMs: Math.max(0, Math.round(result.durationMs)),
    }));
  }

  /** `job.failed`: call after the failure is committed. */
  failed(error: ErrorEnvelope, rowErrors: readonly RowError[] = []): Promise<void> {
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

  async #terminal(build: () => Unnumbered): Promise<void> {
    if (this.#ended) return;
    this.#end();
    // The terminal event may use the block's last seq, which progress never takes.
    this.#enqueue(build, true);
    await this.#tail;
  }

  #sendPendingProgress(): Promise<void> {
    const progress = this.#pendingProgress;
    this.#pendingProgress = undefined;
    if (progress === undefined || this.#ended) return Promise.resolve();
    const now = this.#options.clock.now();
    const figures = progressFigures(progress, this.#bytesTotal, now - this.#progressStartedAt);
    return this.#send(() => ({ type: 'job.progress', jobId: this.#options.jobId, ...figures }), false);
  }

  #enqueue(build: () => Unnumbered, terminal = false): void {
    this.#tail = this.#tail.then(() => this.#send(build, terminal));
  }

  async #send(build: () => Unnumbered, terminal: boolean): Promise<void> {
    // Non-terminal events leave the block's last seq free for the terminal one.
    const limit = terminal ? this.#options.seq.last : this.#options.seq.last - 1;
    if (this.#next > limit) {
      this.#options.log.log('warn', 'event seq block exhausted; event not sent', {
        jobId: this.#options.jobId,
      });
      return;
    }
    const event = {
      ...build(),
      seq: this.#next,
      at: new Date(this.#options.clock.now()).toISOString(),
    } as JobEvent;
    this.#next++;
    try {
      await this.#options.notifier.notify(this.#options.userId, event);
    } catch (error) {
      // The Notifier contract says it never throws; this keeps a broken one from failing a job.
      this.#options.log.log('warn', 'event not delivered', {
        jobId: this.#options.jobId,
        type: event.type,
        seq: event.seq,
        error,
      });
    }
  }
}
