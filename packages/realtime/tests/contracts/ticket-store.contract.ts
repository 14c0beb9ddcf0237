import { beforeEach, describe, expect, it } from 'vitest';
import type { TicketRecord, TicketStore } from '../../src/ports.ts';

/**
 * The behaviour every {@link TicketStore} must have.
 *
 * @param makeStore returns an EMPTY store (e.g. a fresh table) for each test.
 */
export function describeTicketStoreContract(name: string, makeStore: () => Promise<TicketStore>): void {
  const record = (ticketHash: string, expiresAt = 1_900_000_000): TicketRecord => ({
    ticketHash,
    userId: 'user-a',
    username: 'ada',
    groups: ['analysts', 'admins'],
    expiresAt,
  });

  describe(`TicketStore contract: ${name}`, () => {
    let store: TicketStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('gives a stored ticket back exactly once', async () => {
      await store.put(record('a'.repeat(64)));
      expect(await store.take('a'.repeat(64))).toEqual(record('a'.repeat(64)));
      expect(await store.take('a'.repeat(64))).toBeUndefined();
    });

    it('answers undefined for an unknown hash', async () => {
      await store.put(record('b'.repeat(64)));
      expect(await store.take('c'.repeat(64))).toBeUndefined();
      expect(await store.take('b'.repeat(64))).toBeDefined();
    });

    it('hands a ticket to exactly one of several concurrent takers', async () => {
      await store.put(record('d'.repeat(64)));
      const results = await Promise.all(Array.from({ length: 5 }, () => store.take('d'.repeat(64))));
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    });

    it('gives back an expired ticket too (expiry is the caller’s decision), consuming it', async () => {
      await store.put(record('e'.repeat(64), 1_000));
      expect(await store.take('e'.repeat(64))).toMatchObject({ expiresAt: 1_000 });
      expect(await store.take('e'.repeat(64))).toBeUndefined();
    });
  });
}
