import { type BackoffPolicy, fullJitterDelay } from '@herald/realtime/backoff';

// One full-jitter implementation for the whole system: the realtime publisher's (a pure module).
export { fullJitterDelay };

/** How often and how long to retry a failed SRV-GW transfer. */
export type RetryPolicy = BackoffPolicy;

/** SRV-GW transfers: 3 attempts, delays up to 250 ms then 500 ms (capped at 2 s). */
export const DEFAULT_SRVGW_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2000 };

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryOptions {
  readonly policy: RetryPolicy;
  readonly random: () => number;
  readonly sleep: Sleep;
  /** Whether an error is worth another attempt. */
  readonly retryable: (error: unknown) => boolean;
  /** Stops retrying (and waiting) at once when it aborts. */
  readonly signal?: AbortSignal;
  /** Called before each retry's wait, e.g. to log it. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `attempt` until it succeeds, fails with an error `retryable` refuses, the attempts run
 * out (the last error is thrown) or the signal aborts (its reason is thrown).
 *
 * @example
 * await withRetries((n) => source.open(path, { signal }), { policy, random: Math.random, sleep, retryable: isRetryable });
 */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let n = 0; ; n++) {
    options.signal?.throwIfAborted();
    try {
      return await attempt(n);
    } catch (error) {
      options.signal?.throwIfAborted();
      if (n + 1 >= options.policy.maxAttempts || !options.retryable(error)) throw error;
      const delayMs = fullJitterDelay(n, options.policy, options.random);
      options.onRetry?.(error, n + 1, delayMs);
      await options.sleep(delayMs, options.signal);
    }
  }
}
