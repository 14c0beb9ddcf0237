import { isConnectionLive } from '../../src/core/connection.ts';
import type {
  AddSubscriptionResult,
  ConnectionRecord,
  ConnectionStore,
  SubscriptionStore,
} from '../../src/ports.ts';

/**
 * In-memory connections table: {@link ConnectionStore} and {@link SubscriptionStore} over the
 * same items (as the DynamoDB adapters share the table). Same expiry rule as the adapter (from
 * core), connections returned in GSI order (`connectedAt` ascending). `failNextWith` makes the
 * next call reject, to drive error paths.
 */
export class InMemoryConnectionStore implements ConnectionStore, SubscriptionStore {
  readonly #items = new Map<string, ConnectionRecord>();
  #nextFailure: Error | undefined;
  /** Every connection id `delete` was called with, in order. */
  readonly deleted: string[] = [];
  /** How many times `listByUser` ran. */
  listCalls = 0;

  failNextWith(error: Error): void {
    this.#nextFailure = error;
  }

  async put(connection: ConnectionRecord): Promise<void> {
    this.#throwIfFailing();
    const { subscriptions, ...rest } = connection;
    this.#items.set(
      connection.connectionId,
      subscriptions !== undefined && subscriptions.length > 0
        ? { ...rest, subscriptions: [...subscriptions].sort() }
        : rest,
    );
  }

  async delete(connectionId: string): Promise<void> {
    this.#throwIfFailing();
    this.deleted.push(connectionId);
    this.#items.delete(connectionId);
  }

  async listByUser(userId: string, now: number): Promise<ConnectionRecord[]> {
    this.#throwIfFailing();
    this.listCalls++;
    return [...this.#items.values()]
      .filter((item) => item.userId === userId && isConnectionLive(item, now))
      .sort((a, b) => a.connectedAt - b.connectedAt)
      .map((item) => structuredClone(item));
  }

  async add(
    connectionId: string,
    userId: string,
    subscription: string,
    max: number,
  ): Promise<AddSubscriptionResult> {
    this.#throwIfFailing();
    const item = this.#items.get(connectionId);
    if (item === undefined || item.userId !== userId) return 'unknown-connection';
    const current = item.subscriptions ?? [];
    if (current.includes(subscription)) return 'added';
    if (current.length >= max) return 'limit-reached';
    this.#items.set(connectionId, { ...item, subscriptions: [...current, subscription].sort() });
    return 'added';
  }

  async remove(connectionId: string, userId: string, subscription: string): Promise<void> {
    this.#throwIfFailing();
    const item = this.#items.get(connectionId);
    if (item === undefined || item.userId !== userId) return;
    const rest = (item.subscriptions ?? []).filter((s) => s !== subscription);
    const { subscriptions: _dropped, ...base } = item;
    this.#items.set(connectionId, rest.length > 0 ? { ...base, subscriptions: rest } : base);
  }

  #throwIfFailing(): void {
    const failure = this.#nextFailure;
    this.#nextFailure = undefined;
    if (failure !== undefined) throw failure;
  }
}
