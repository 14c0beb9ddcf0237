/** How often and how long to retry a failed SRV-GW transfer. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Upper bound of the first retry's delay, milliseconds; doubles per attempt. */
  readonly baseDelayMs: number;
  /** No delay exceeds this, milliseconds. */
  readonly maxDelayMs: number;
}

/** SRV-GW transfers: 3 attempts, delays up to 250 ms then 500 ms (capped at 2 s). */
export const DEFAULT_SRVGW_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2000 };

/**
 * "Full jitter" backoff: a uniformly random delay between 0 and `min(max, base × 2^attempt)`,
 * the scheme that spreads competing clients best (the same one the realtime publisher uses).
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 *
 * @param attempt 0 for the delay before the first retry.
 * @example
 * fullJitterDelay(1, DEFAULT_SRVGW_RETRY, Math.random); // 0 … 499
 */
export function fullJitterDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

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
