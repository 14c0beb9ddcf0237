import type { JobEvent, JobFailedEvent, JobView } from '@herald/protocol/wire';
import { Emitter, type Unsubscribe } from './emitter.ts';
import { HeraldClientError, JobFailedError } from './errors.ts';

/**
 * Where a followed job is: `pending` until anything is known, `uploading` while the bytes go
 * to storage (uploads only), `queued`, `processing`, then `succeeded` or `failed`.
 *
 * @example
 * const busy = (phase: JobPhase) => phase !== 'succeeded' && phase !== 'failed';
 */
export type JobPhase = 'pending' | 'uploading' | 'queued' | 'processing' | 'succeeded' | 'failed';

/**
 * One progress report of a job: the ONE stream a progress bar needs. `percent` is the progress
 * of the current phase (upload bytes, then processed bytes).
 *
 * @example
 * handle.on('progress', (p) => {
 *   if (p.phase === 'uploading') bar.set(`Uploading ${p.percent}%`);
 *   if (p.phase === 'processing') bar.set(`${p.rowsProcessed} rows, ${p.percent}%, ETA ${p.etaSeconds ?? '?'} s`);
 * });
 */
export type JobProgress =
  | { readonly phase: 'pending'; readonly percent: 0 }
  | {
      readonly phase: 'uploading';
      readonly percent: number;
      readonly bytesSent: number;
      readonly bytesTotal: number;
    }
  | { readonly phase: 'queued'; readonly percent: 0 }
  | {
      readonly phase: 'processing';
      readonly percent: number;
      readonly bytesRead: number;
      readonly bytesTotal: number;
      readonly rowsProcessed: number;
      readonly rowsPerSecond: number;
      /** Seconds left at the current rate; null until a rate is known. */
      readonly etaSeconds: number | null;
    }
  | {
      readonly phase: 'succeeded';
      readonly percent: 100;
      readonly rowsLoaded: number;
      readonly rowsRejected: number;
      readonly durationMs: number;
    }
  | { readonly phase: 'failed'; readonly percent: number; readonly error: HeraldClientError };

/**
 * What a finished job achieved; `done` resolves to it.
 *
 * @example
 * const { rowsLoaded } = await client.upload(file, { dataset: 'transactions' }).done;
 */
export interface JobResult {
  readonly jobId: string;
  /** Rows loaded; for a dry run (`upload(…, { dryRun: true })`), the rows that would load. */
  readonly rowsLoaded: number;
  readonly rowsRejected: number;
  readonly durationMs: number;
}

/**
 * Everything known about a followed job at one moment; a new object on every change (React's
 * `useSyncExternalStore` compares by reference).
 *
 * @example
 * const { progress, result, error } = handle.snapshot;
 */
export interface JobSnapshot {
  readonly jobId: string | undefined;
  readonly progress: JobProgress;
  /**
   * Whether the job's events reach this client live: the socket is open and either delivers
   * every event of the user (no subscriptions narrow it) or the server acknowledged the job's
   * subscription (`subscribed`). False while connecting or reconnecting, until that holds again;
   * events missed meanwhile come back through `resume` and REST.
   */
  readonly subscribed: boolean;
  /** The job as `GET /jobs/{id}` last showed it, when it was fetched. */
  readonly job: JobView | undefined;
  readonly result: JobResult | undefined;
  readonly error: HeraldClientError | undefined;
}

/**
 * Events of a {@link JobHandle}.
 *
 * @example
 * handle.on('change', (snapshot) => render(snapshot));
 */
export interface JobHandleEvents {
  progress: JobProgress;
  event: JobEvent;
  change: JobSnapshot;
}

/**
 * A job being followed: live progress, its events in order without duplicates, and its outcome.
 * Get one from `client.follow(jobId)`, or from `client.upload(...)` as an {@link UploadHandle}.
 *
 * @example
 * const handle = client.follow(jobId);
 * for await (const event of handle) console.log(event.type, event.seq);
 * const result = await handle.done;
 */
export interface JobHandle extends AsyncIterable<JobEvent> {
  /** The job's id; `undefined` for an upload until `POST /uploads` answered. */
  readonly jobId: string | undefined;
  readonly snapshot: JobSnapshot;
  /**
   * Resolves with the result of `job.succeeded` (a dry run's `job.validated`: `rowsLoaded` is what
   * would load); rejects with a {@link JobFailedError} on `job.failed`, and on `job.cancelled`
   * (code `JOB_CANCELLED`).
   */
  readonly done: Promise<JobResult>;
  on<K extends keyof JobHandleEvents>(type: K, listener: (payload: JobHandleEvents[K]) => void): Unsubscribe;
  /** The job's events so far (older progress collapsed into the latest), then live ones; ends after the terminal event. */
  events(): AsyncIterableIterator<JobEvent>;
  /** The current progress, then every change; ends when the job does. */
  progress(): AsyncIterableIterator<JobProgress>;
  /** Stops following; an unfinished `done` rejects with `ABORTED`. */
  close(): void;
  /**
   * Cancels the job (`POST /jobs/{id}/cancel`): one awaiting its upload at once, a running load is
   * stopped and rolled back; `done` then rejects with `JOB_CANCELLED`. An upload still sending its
   * bytes stops sending first. A finished job rejects with `JOB_ALREADY_FINISHED`.
   */
  cancel(): Promise<void>;
}

/**
 * A {@link JobHandle} for an upload: progress starts with the upload bytes.
 *
 * @example
 * const upload = client.upload(file, { dataset: 'transactions' });
 * cancelButton.onclick = () => upload.abort();
 */
export interface UploadHandle extends JobHandle {
  /** Aborts the upload (if still sending) and stops following. */
  abort(): void;
}

const RANK: Record<JobPhase, number> = {
  pending: 0,
  uploading: 1,
  queued: 2,
  processing: 3,
  succeeded: 4,
  failed: 4,
};

function percentOf(part: number, total: number): number {
  if (total <= 0) return 0;
  return Math.min(100, Math.floor((part / total) * 1000) / 10);
}

function noop(): void {}

/** The one implementation of {@link JobHandle} and {@link UploadHandle}; the client drives it. */
export class JobWatch implements UploadHandle {
  readonly #emitter = new Emitter<JobHandleEvents>();
  readonly #history: JobEvent[] = [];
  #current: JobSnapshot;
  #finished = false;
  #resolveDone: (result: JobResult) => void = noop;
  #rejectDone: (error: unknown) => void = noop;
  readonly #closers = new Set<() => void>();
  #aborter: () => void = noop;
  declare readonly done: Promise<JobResult>;

  constructor(jobId: string | undefined) {
    this.#current = {
      jobId,
      progress: { phase: 'pending', percent: 0 },
      subscribed: false,
      job: undefined,
      result: undefined,
      error: undefined,
    };
    this.done = new Promise<JobResult>((resolve, reject) => {
      this.#resolveDone = resolve;
      this.#rejectDone = reject;
    });
    // A caller that never awaits `done` must not get an unhandled rejection for it.
    this.done.catch(noop);
  }

  get jobId(): string | undefined {
    return this.#current.jobId;
  }

  get snapshot(): JobSnapshot {
    return this.#current;
  }

  get settled(): boolean {
    return this.#finished;
  }

  on<K extends keyof JobHandleEvents>(type: K, listener: (payload: JobHandleEvents[K]) => void): Unsubscribe {
    return this.#emitter.on(type, listener);
  }

  events(): AsyncIterableIterator<JobEvent> {
    return this.#iterate('event', this.#history);
  }

  progress(): AsyncIterableIterator<JobProgress> {
    return this.#iterate('progress', [this.#current.progress]);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<JobEvent> {
    return this.events();
  }

  close(): void {
    if (!this.#finished)
      this.fail(new HeraldClientError('ABORTED', 'Stopped following the job.', { retryable: false }));
  }

  abort(): void {
    this.#aborter();
    this.close();
  }

  /** Set when the job is known: how {@link cancel} reaches the server. */
  canceller?: () => Promise<unknown>;

  async cancel(): Promise<void> {
    // Stops an upload still sending (a finished one has nothing left to abort).
    this.#aborter();
    await this.canceller?.();
  }

  // --- driven by the client ------------------------------------------------------------------

  /** Adds cleanup to run once when the handle settles (unfollow, listener removal); returns its remover. */
  onSettle(closer: () => void): Unsubscribe {
    this.#closers.add(closer);
    return () => this.#closers.delete(closer);
  }

  /** What `abort()` does besides closing (cancel the upload request). */
  setAborter(aborter: () => void): void {
    this.#aborter = aborter;
  }

  setJobId(jobId: string): void {
    this.#update({ jobId });
  }

  /** Whether the job's events reach the client live now (see {@link JobSnapshot.subscribed}). */
  setSubscribed(subscribed: boolean): void {
    if (subscribed !== this.#current.subscribed && !this.#finished) this.#update({ subscribed });
  }

  uploadProgress(bytesSent: number, bytesTotal: number): void {
    if (RANK[this.#current.progress.phase] > RANK.uploading) return;
    this.#setProgress({
      phase: 'uploading',
      percent: percentOf(bytesSent, bytesTotal),
      bytesSent,
      bytesTotal,
    });
  }

  uploaded(): void {
    this.#setProgress({ phase: 'queued', percent: 0 });
  }

  /** A `GET /jobs/{id}` view: moves the phase forward (terminal states arrive as events). */
  view(job: JobView): void {
    this.#update({ job });
    if (job.state === 'queued') this.#setProgress({ phase: 'queued', percent: 0 });
    else if (job.state === 'processing' && this.#current.progress.phase !== 'processing') {
      this.#setProgress({
        phase: 'processing',
        percent: 0,
        bytesRead: 0,
        bytesTotal: job.sizeBytes,
        rowsProcessed: 0,
        rowsPerSecond: 0,
        etaSeconds: null,
      });
    }
  }

  event(event: JobEvent): void {
    if (this.#finished) return;
    const last = this.#history.at(-1);
    if (event.type === 'job.progress' && last?.type === 'job.progress')
      this.#history[this.#history.length - 1] = event;
    else this.#history.push(event);
    this.#emitter.emit('event', event);
    if (event.type === 'job.queued') this.#setProgress({ phase: 'queued', percent: 0 });
    else if (event.type === 'job.progress') {
      // The event's figures are the progress's: percent, bytes, rows, rate, ETA.
      const { type: _type, seq: _seq, at: _at, jobId: _jobId, ...figures } = event;
      this.#setProgress({ phase: 'processing', ...figures });
    } else if ('error' in event) {
      // `job.failed`, and `job.cancelled` (whose error says JOB_CANCELLED).
      this.fail(new JobFailedError(event.jobId, event.error, (event as JobFailedEvent).rowErrors ?? []));
    } else {
      // `job.succeeded`, and a dry run's `job.validated` (`rowsLoaded`: what would load).
      const { jobId, rowsLoaded, rowsRejected, durationMs } = event;
      const result: JobResult = { jobId, rowsLoaded, rowsRejected, durationMs };
      this.#finished = true;
      this.#update({ result });
      this.#setProgress({ phase: 'succeeded', percent: 100, rowsLoaded, rowsRejected, durationMs });
      this.#resolveDone(result);
      this.#end();
    }
  }

  /** Ends the handle with an error (a failed job, a refused upload, `close()`). */
  fail(error: HeraldClientError): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#update({ error });
    this.#setProgress({ phase: 'failed', percent: this.#current.progress.percent, error });
    this.#rejectDone(error);
    this.#end();
  }

  #end(): void {
    const closers = [...this.#closers];
    this.#closers.clear();
    for (const closer of closers) closer();
  }

  /**
   * An iterator over `initial`, then every `type` payload from now until the handle settles; the
   * event iterator then throws a failure other than a failed job or `close()`. Listens from the
   * call on (not from the first `next()`), and `return()` ends it at once, even while a `next()`
   * waits.
   */
  #iterate<K extends 'event' | 'progress'>(
    type: K,
    initial: readonly JobHandleEvents[K][],
  ): AsyncIterableIterator<JobHandleEvents[K]> {
    const values = [...initial];
    let wake = noop;
    let stopped = false;
    const offs = [
      this.#emitter.on(type, (value) => {
        values.push(value);
        wake();
      }),
      this.onSettle(() => stop()),
    ];
    const stop = () => {
      for (const off of offs) off();
      wake();
    };
    const watch = this;
    const iterator = (async function* () {
      try {
        for (;;) {
          if (values.length > 0) yield values.shift() as JobHandleEvents[K];
          else if (stopped) return;
          else if (watch.#finished) break;
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        stop();
      }
      const { error } = watch.#current;
      // A failed or cancelled job ends its event stream normally (its terminal event says why), and
      // so does `close()`; any other failure (a refused upload, a lost job) is thrown by the event iterator.
      if (type === 'event' && error && !(error instanceof JobFailedError) && error.code !== 'ABORTED')
        throw error;
    })();
    const finish = iterator.return.bind(iterator);
    iterator.return = (value) => {
      stopped = true;
      values.length = 0;
      stop();
      return finish(value);
    };
    return iterator;
  }

  #setProgress(progress: JobProgress): void {
    const from = this.#current.progress.phase;
    if (RANK[progress.phase] < RANK[from]) return;
    this.#update({ progress });
    this.#emitter.emit('progress', progress);
  }

  #update(patch: Partial<JobSnapshot>): void {
    this.#current = { ...this.#current, ...patch };
    this.#emitter.emit('change', this.#current);
  }
}
