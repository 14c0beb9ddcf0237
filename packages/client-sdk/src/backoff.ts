/**
 * Full-jitter exponential backoff above a floor, as centrifuge-js does: the delay before retry
 * number `attempt` (0-based) is `min + random(0, min(max, min · 2^attempt))`, capped at `max`.
 * Jitter spreads the reconnects of many clients after an outage, so they do not arrive as one
 * wave (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 *
 * @example
 * backoffDelay(0, 500, 20_000); // between 500 and 1000
 * backoffDelay(10, 500, 20_000); // between 500 and 20000
 */
export function backoffDelay(
  attempt: number,
  minMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 31));
  return Math.min(maxMs, Math.round(minMs + random() * ceiling));
}
