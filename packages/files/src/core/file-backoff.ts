import type { BackoffPolicy } from '@herald/runtime';

/** SRV-GW transfers: 3 attempts, delays up to 250 ms then 500 ms (capped at 2 s). */
export const DEFAULT_SRVGW_RETRY: BackoffPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2000 };
