/** How often and how long to retry a throttled call. */
export interface BackoffPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** Upper bound of the first retry's delay, milliseconds; doubles per attempt. */
  readonly baseDelayMs: number;
  /** No delay exceeds this, milliseconds. */
  readonly maxDelayMs: number;
}

/**
 * PostToConnection retries: 5 attempts, delays up to 50, 100, 200, 400 ms. PostToConnection
 * counts against the account-wide API Gateway request throttle, so retries must spread out
 * rather than hammer it in lockstep.
 */
export const DEFAULT_POST_BACKOFF: BackoffPolicy = { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 2000 };

/**
 * "Full jitter" backoff: a uniformly random delay between 0 and `min(max, base × 2^attempt)`.
 * Of the jitter schemes it spreads competing clients best.
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 *
 * @param attempt 0 for the delay before the first retry.
 * @param random a uniform number in [0, 1), e.g. `Math.random`.
 * @example
 * await sleep(fullJitterDelay(attempt, DEFAULT_POST_BACKOFF, Math.random));
 */
export function fullJitterDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}
