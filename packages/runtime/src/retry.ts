/**
 * How often and how long to retry a failed call.
 *
 * @example
 * const policy: BackoffPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2000 };
 */
export interface BackoffPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Upper bound of the first retry's delay, milliseconds; doubles per attempt. */
  readonly baseDelayMs: number;
  /** No delay exceeds this, milliseconds. */
  readonly maxDelayMs: number;
}

/**
 * "Full jitter" backoff: a uniformly random delay between 0 and `min(max, base × 2^attempt)`.
 * Of the jitter schemes it spreads competing clients best.
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 *
 * @param attempt 0 for the delay before the first retry.
 * @param random a uniform number in [0, 1), e.g. `Math.random`.
 * @example
 * await delay(fullJitterDelay(attempt, { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 2000 }, Math.random));
 */
export function fullJitterDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * Waits `ms`, or rejects with the signal's reason as soon as it aborts.
 *
 * @example
 * const noWait: Sleep = async (_ms, signal) => signal?.throwIfAborted();
 */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/**
 * Options of {@link withRetries}.
 *
 * @example
 * const options: RetryOptions = { policy, random: Math.random, sleep: delay, retryable: isRetryable };
 */
export interface RetryOptions {
  readonly policy: BackoffPolicy;
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

/**
 * {@link Sleep} on a timer; an abort (when a signal is given) ends the wait with its reason.
 *
 * @example
 * await delay(250, AbortSignal.timeout(1000));
 */
export const delay: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
