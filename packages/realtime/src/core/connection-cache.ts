import type { ConnectionRecord } from '../ports.ts';

/** No cached connection list is used for longer than this, whatever a caller asks. */
export const MAX_CONNECTION_CACHE_MS = 10_000;

/**
 * A short-lived per-user cache of connection lists, for the publisher's progress events (a job
 * sends several per second; each would otherwise query the GSI). Bounded in size: the oldest
 * user is dropped first. A connection that answered 410 is evicted at once.
 */
export class ConnectionCache {
  readonly #maxUsers: number;
  readonly #entries = new Map<string, { readonly until: number; connections: ConnectionRecord[] }>();

  constructor(maxUsers = 1000) {
    this.#maxUsers = maxUsers;
  }

  /** The user's cached list, if it is still fresh at `now`. */
  get(userId: string, now: number): ConnectionRecord[] | undefined {
    const entry = this.#entries.get(userId);
    if (entry === undefined) return undefined;
    if (entry.until <= now) {
      this.#entries.delete(userId);
      return undefined;
    }
    return entry.connections;
  }

  /** Caches a list for `ttlMs` (capped at {@link MAX_CONNECTION_CACHE_MS}). */
  set(userId: string, connections: ConnectionRecord[], now: number, ttlMs: number): void {
    this.#entries.delete(userId);
    this.#entries.set(userId, { until: now + Math.min(ttlMs, MAX_CONNECTION_CACHE_MS), connections });
    if (this.#entries.size > this.#maxUsers) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  /** Forgets one connection of a user (it answered 410). */
  evict(userId: string, connectionId: string): void {
    const entry = this.#entries.get(userId);
    if (entry !== undefined)
      entry.connections = entry.connections.filter((c) => c.connectionId !== connectionId);
  }

  /** Forgets a user's list (e.g. after a failure). */
  forget(userId: string): void {
    this.#entries.delete(userId);
  }
}
