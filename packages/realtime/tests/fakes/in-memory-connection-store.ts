import { isConnectionLive } from '../../src/core/connection.ts';
import type { ConnectionRecord, ConnectionStore } from '../../src/ports.ts';

/**
 * In-memory {@link ConnectionStore}: same expiry rule as the DynamoDB adapter (from core),
 * connections returned in GSI order (`connectedAt` ascending). `failNextWith` makes the next
 * call reject, to drive error paths.
 */
export class InMemoryConnectionStore implements ConnectionStore {
  readonly #items = new Map<string, ConnectionRecord>();
  #nextFailure: Error | undefined;

  failNextWith(error: Error): void {
    this.#nextFailure = error;
  }

  async put(connection: ConnectionRecord): Promise<void> {
    this.#throwIfFailing();
    this.#items.set(connection.connectionId, { ...connection });
  }

  async delete(connectionId: string): Promise<void> {
    this.#throwIfFailing();
    this.#items.delete(connectionId);
  }

  async listByUser(userId: string, now: number): Promise<ConnectionRecord[]> {
    this.#throwIfFailing();
    return [...this.#items.values()]
      .filter((item) => item.userId === userId && isConnectionLive(item, now))
      .sort((a, b) => a.connectedAt - b.connectedAt)
      .map((item) => ({ ...item }));
  }

  #throwIfFailing(): void {
    const failure = this.#nextFailure;
    this.#nextFailure = undefined;
    if (failure !== undefined) throw failure;
  }
}
