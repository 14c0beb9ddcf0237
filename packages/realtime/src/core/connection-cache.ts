import type { ConnectionRecord } from '../ports.ts';

/** No cached connection list is used for longer than this, whatever a caller asks. */
export const MAX_CONNECTION_CACHE_MS = 10_000;

/**
 * A short-lived cache of connection lists, for the publisher's progress events (a job sends
 * several per second; each would otherwise query the GSI). The publisher keys it by user AND
 * job, so a job's first progress event always reads the table: a connection opened, or a
 * subscription acknowledged, before the job's work started is never hidden by a list another
 * job of the same user cached earlier. Bounded in size: the oldest entry is dropped first. A
 * connection that answered 410 is evicted from every entry at once.
 */
export class ConnectionCache {
  readonly #maxEntries: number;
  readonly #entries = new Map<string, { readonly until: number; connections: ConnectionRecord[] }>();

  constructor(maxEntries = 1000) {
    this.#maxEntries = maxEntries;
  }

  /** The list cached under `key`, if it is still fresh at `now`. */
  get(key: string, now: number): ConnectionRecord[] | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.connections;
  }

  /** Caches a list under `key` for `ttlMs` (capped at {@link MAX_CONNECTION_CACHE_MS}). */
  set(key: string, connections: ConnectionRecord[], now: number, ttlMs: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { until: now + Math.min(ttlMs, MAX_CONNECTION_CACHE_MS), connections });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  /** Forgets one connection (it answered 410) in every cached list; connection ids are unique. */
  evict(connectionId: string): void {
    for (const entry of this.#entries.values())
      entry.connections = entry.connections.filter((c) => c.connectionId !== connectionId);
  }
}
