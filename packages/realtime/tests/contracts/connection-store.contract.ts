import { beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionRecord, ConnectionStore } from '../../src/ports.ts';

/**
 * The behaviour every {@link ConnectionStore} must have. Runs against the in-memory fake (unit)
 * and can run against `DynamoConnectionStore` on dynalite (integration), so the two cannot drift.
 *
 * @param makeStore returns an EMPTY store (e.g. a fresh table) for each test.
 */
export function describeConnectionStoreContract(
  name: string,
  makeStore: () => Promise<ConnectionStore>,
): void {
  const now = Date.parse('2025-06-01T12:00:00Z');
  const seconds = Math.floor(now / 1000);
  const conn = (
    connectionId: string,
    userId: string,
    connectedAt: number,
    expiresAt: number,
  ): ConnectionRecord => ({
    connectionId,
    userId,
    connectedAt,
    expiresAt,
  });

  describe(`ConnectionStore contract: ${name}`, () => {
    let store: ConnectionStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('lists a stored connection under its user', async () => {
      const stored = conn('L0SM9cOFvHcCIhw=', 'user-a', now, seconds + 7200);
      await store.put(stored);
      expect(await store.listByUser('user-a', now)).toEqual([stored]);
    });

    it('lists only the given user’s connections, oldest first', async () => {
      await store.put(conn('c2', 'user-a', now - 1000, seconds + 7200));
      await store.put(conn('c1', 'user-a', now - 5000, seconds + 7200));
      await store.put(conn('c3', 'user-b', now, seconds + 7200));
      const ids = (await store.listByUser('user-a', now)).map((c) => c.connectionId);
      expect(ids).toEqual(['c1', 'c2']);
    });

    it('leaves out connections whose expiresAt is at or before now', async () => {
      await store.put(conn('expired', 'user-a', now - 8_000_000, seconds - 1));
      await store.put(conn('expiring-now', 'user-a', now - 8_000_000, seconds));
      await store.put(conn('live', 'user-a', now, seconds + 1));
      const ids = (await store.listByUser('user-a', now)).map((c) => c.connectionId);
      expect(ids).toEqual(['live']);
    });

    it('overwrites a connection put twice', async () => {
      await store.put(conn('c1', 'user-a', now, seconds + 100));
      await store.put(conn('c1', 'user-a', now, seconds + 200));
      expect(await store.listByUser('user-a', now)).toEqual([conn('c1', 'user-a', now, seconds + 200)]);
    });

    it('deletes a connection, and deleting it again succeeds', async () => {
      await store.put(conn('c1', 'user-a', now, seconds + 7200));
      await store.put(conn('c2', 'user-a', now, seconds + 7200));
      await store.delete('c1');
      await store.delete('c1');
      await store.delete('never-existed');
      expect((await store.listByUser('user-a', now)).map((c) => c.connectionId)).toEqual(['c2']);
    });

    it('returns an empty list for a user without connections', async () => {
      expect(await store.listByUser('nobody', now)).toEqual([]);
    });
  });
}
