/** The length of a counting window: attempts are allowed per client IP per minute. */
export const CONNECT_WINDOW_SECONDS = 60;

/**
 * The counter an attempt from `sourceIp` at `nowMs` goes to: one item per address and minute,
 * kept one window past its end (TTL) so an item is never deleted while it still counts.
 *
 * @example
 * connectWindow('203.0.113.7', Date.parse('2026-12-05T03:00:30Z'));
 * // { key: '203.0.113.7#29940660', expiresAt: 1796439720 }
 */
export function connectWindow(sourceIp: string, nowMs: number): { key: string; expiresAt: number } {
  const window = Math.floor(nowMs / 1000 / CONNECT_WINDOW_SECONDS);
  return { key: `${sourceIp}#${window}`, expiresAt: (window + 2) * CONNECT_WINDOW_SECONDS };
}
