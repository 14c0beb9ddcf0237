import { beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionStore, SubscriptionStore } from '../../src/ports.ts';

/**
 * The behaviour every {@link SubscriptionStore} must have, together with the
 * {@link ConnectionStore} over the same table (subscriptions live on connection items).
 *
 * @param make returns an EMPTY table's two stores for each test.
 */
export function describeSubscriptionStoreContract(
  name: string,
  make: () => Promise<{ connections: ConnectionStore; subscriptions: SubscriptionStore }>,
): void {
  const now = Date.parse('2025-06-01T12:00:00Z');
  const expiresAt = Math.floor(now / 1000) + 7200;
  // Distinct connectedAt per user: the GSI orders a user's connections by it.
  const conn = (connectionId: string, userId: string, connectedAt: number) => ({
    connectionId,
    userId,
    connectedAt,
    expiresAt,
  });

  describe(`SubscriptionStore contract: ${name}`, () => {
    let connections: ConnectionStore;
    let subscriptions: SubscriptionStore;
    const subsOf = async (userId: string) =>
      (await connections.listByUser(userId, now)).map((c) => [c.connectionId, c.subscriptions ?? []]);

    beforeEach(async () => {
      ({ connections, subscriptions } = await make());
      await connections.put(conn('c1=', 'user-a', now));
      await connections.put(conn('c2=', 'user-a', now + 1));
      await connections.put(conn('b1=', 'user-b', now));
    });

    it('adds subscriptions to one connection, listed sorted with it, idempotently', async () => {
      expect(await subscriptions.add('c1=', 'user-a', 'topic:files', 5)).toBe('added');
      expect(await subscriptions.add('c1=', 'user-a', 'job:j-1', 5)).toBe('added');
      expect(await subscriptions.add('c1=', 'user-a', 'job:j-1', 5)).toBe('added');
      expect(await subsOf('user-a')).toEqual([
        ['c1=', ['job:j-1', 'topic:files']],
        ['c2=', []],
      ]);
    });

    it('refuses a new subscription at the cap but accepts one already held', async () => {
      expect(await subscriptions.add('c1=', 'user-a', 'job:1', 2)).toBe('added');
      expect(await subscriptions.add('c1=', 'user-a', 'job:2', 2)).toBe('added');
      expect(await subscriptions.add('c1=', 'user-a', 'job:3', 2)).toBe('limit-reached');
      expect(await subscriptions.add('c1=', 'user-a', 'job:2', 2)).toBe('added');
      expect(await subsOf('user-a')).toEqual([
        ['c1=', ['job:1', 'job:2']],
        ['c2=', []],
      ]);
    });

    it('never touches another user’s connection or an unknown one', async () => {
      expect(await subscriptions.add('b1=', 'user-a', 'topic:files', 5)).toBe('unknown-connection');
      expect(await subscriptions.add('nope=', 'user-a', 'topic:files', 5)).toBe('unknown-connection');
      await subscriptions.add('b1=', 'user-b', 'topic:jobs', 5);
      await subscriptions.remove('b1=', 'user-a', 'topic:jobs');
      expect(await subsOf('user-b')).toEqual([['b1=', ['topic:jobs']]]);
      expect((await connections.listByUser('user-a', now)).map((c) => c.connectionId)).toEqual([
        'c1=',
        'c2=',
      ]);
    });

    it('removes subscriptions; removing the last leaves none; removing an absent one succeeds', async () => {
      await subscriptions.add('c1=', 'user-a', 'job:1', 5);
      await subscriptions.add('c1=', 'user-a', 'job:2', 5);
      await subscriptions.remove('c1=', 'user-a', 'job:1');
      expect(await subsOf('user-a')).toEqual([
        ['c1=', ['job:2']],
        ['c2=', []],
      ]);
      await subscriptions.remove('c1=', 'user-a', 'job:2');
      await subscriptions.remove('c1=', 'user-a', 'job:2');
      await subscriptions.remove('gone=', 'user-a', 'job:2');
      const [first] = await connections.listByUser('user-a', now);
      expect(first).toEqual(conn('c1=', 'user-a', now));
    });
  });
}
