import type { LoadProgress } from './load-contract.ts';

export interface ProgressThrottleOptions {
  /** Least time between two emitted updates (ms). Default 250. */
  readonly minIntervalMs?: number;
  /** Emit when progress enters a new step of this many percent (5 → 5 %, 10 %, …). 0: on time alone. Default 5. */
  readonly percentStep?: number;
}

/**
 * Decides which progress updates become `job.progress` events: one is emitted when BOTH
 * at least `minIntervalMs` passed since the last emitted one AND the percentage entered a new
 * `percentStep` step since then. So a job emits at most one event per interval (a few per
 * second) and at most one per step; steps crossed within one interval are reported together by
 * the next event. After {@link close} (the terminal event) nothing is emitted again.
 *
 * Pure: the caller passes the time, so tests drive it with a fake clock.
 *
 * @example
 * const throttle = new ProgressThrottle({ minIntervalMs: 250, percentStep: 5 }, clock.now());
 * if (throttle.offer(percent, clock.now())) send(progressEvent);
 */
export class ProgressThrottle {
  readonly #minIntervalMs: number;
  readonly #percentStep: number;
  #lastAt: number;
  #lastStep = 0;
  #closed = false;

  /** @param startedAt when the load started: the first event waits one interval from here. */
  constructor(options: ProgressThrottleOptions, startedAt: number) {
    this.#minIntervalMs = options.minIntervalMs ?? 250;
    this.#percentStep = options.percentStep ?? 5;
    if (!(this.#minIntervalMs >= 0)) throw new RangeError('minIntervalMs must be ≥ 0');
    if (!(this.#percentStep >= 0 && this.#percentStep <= 100))
      throw new RangeError('percentStep must be 0–100');
    this.#lastAt = startedAt;
  }

  /** Whether an update at `percent`, observed at `now`, is to be emitted; remembers it if so. */
  offer(percent: number, now: number): boolean {
    if (this.#closed) return false;
    if (now - this.#lastAt < this.#minIntervalMs) return false;
    if (this.#percentStep > 0) {
      const step = Math.floor(percent / this.#percentStep);
      if (step <= this.#lastStep) return false;
      this.#lastStep = step;
    }
    this.#lastAt = now;
    return true;
  }

  /** No update is emitted after this (the job reached its terminal event). */
  close(): void {
    this.#closed = true;
  }

  get closed(): boolean {
    return this.#closed;
  }
}

/** The numbers of a `job.progress` event. */
export interface ProgressFigures {
  readonly bytesRead: number;
  readonly bytesTotal: number;
  readonly rowsProcessed: number;
  /** 0–100, one decimal. */
  readonly percent: number;
  readonly rowsPerSecond: number;
  /** Seconds left at the byte rate so far; null until a rate is known. */
  readonly etaSeconds: number | null;
}

/**
 * The figures of a progress event from the loader's counters.
 *
 * @example
 * progressFigures({ bytesRead: 50, rowsProcessed: 10 }, 100, 2000); // 50 %, 5 rows/s, eta 2 s
 */
export function progressFigures(
  progress: LoadProgress,
  bytesTotal: number,
  elapsedMs: number,
): ProgressFigures {
  const bytesRead = Math.max(0, Math.floor(progress.bytesRead));
  const rowsProcessed = Math.max(0, Math.floor(progress.rowsProcessed));
  const percent =
    bytesTotal > 0
      ? Math.min(100, Math.floor((bytesRead * 1000) / bytesTotal) / 10)
      : bytesRead > 0
        ? 100
        : 0;
  const seconds = elapsedMs / 1000;
  const rowsPerSecond = seconds > 0 ? Math.round(rowsProcessed / seconds) : 0;
  const bytesPerSecond = seconds > 0 ? bytesRead / seconds : 0;
  const etaSeconds =
    bytesPerSecond > 0
      ? Math.max(0, Math.round((Math.max(0, bytesTotal - bytesRead) / bytesPerSecond) * 10) / 10)
      : null;
  return { bytesRead, bytesTotal, rowsProcessed, percent, rowsPerSecond, etaSeconds };
}
