/** The current time; injected so tests control it. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/**
 * The system clock.
 *
 * @example
 * const startedAt = systemClock.now();
 */
export const systemClock: Clock = { now: () => Date.now() };
