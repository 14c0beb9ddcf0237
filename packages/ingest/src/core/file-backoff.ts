import { type BackoffPolicy, fullJitterDelay, type Sleep, withRetries } from '@herald/realtime/backoff';

// One full-jitter retry implementation for the whole system: realtime's (a pure module).
export { fullJitterDelay, type Sleep, withRetries };

/** How often and how long to retry a failed SRV-GW transfer. */
export type RetryPolicy = BackoffPolicy;

/** SRV-GW transfers: 3 attempts, delays up to 250 ms then 500 ms (capped at 2 s). */
export const DEFAULT_SRVGW_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2000 };
