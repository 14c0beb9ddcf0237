import { beforeEach, describe, expect, it } from 'vitest';
import type { DeviceRecord, DeviceStore } from '../../src/ports.ts';

/**
 * The behaviour every {@link DeviceStore} must have.
 *
 * @param makeStore returns an EMPTY store (e.g. a fresh table) for each test.
 */
export function describeDeviceStoreContract(name: string, makeStore: () => Promise<DeviceStore>): void {
  const now = Date.parse('2025-06-01T12:00:00Z');
  const seconds = Math.floor(now / 1000);
  const device = (userId: string, token: string, overrides: Partial<DeviceRecord> = {}): DeviceRecord => ({
    userId,
    token,
    platform: 'android',
    registeredAt: now,
    expiresAt: seconds + 86_400,
    ...overrides,
  });
  const tokensOf = async (store: DeviceStore, userId: string) =>
    (await store.listByUser(userId, now)).map((d) => d.token).sort();

  describe(`DeviceStore contract: ${name}`, () => {
    let store: DeviceStore;
    beforeEach(async () => {
      store = await makeStore();
    });

    it('registers a new device and lists it under its user only', async () => {
      const outcome = await store.register(device('user-a', 'tok:1'), 10, now);
      expect(outcome).toEqual({ kind: 'created', device: device('user-a', 'tok:1') });
      expect(await store.listByUser('user-a', now)).toEqual([device('user-a', 'tok:1')]);
      expect(await store.listByUser('user-b', now)).toEqual([]);
    });

    it('refreshes a device registered again, keeping its first registration time', async () => {
      await store.register(device('user-a', 'tok:1'), 10, now);
      const again = device('user-a', 'tok:1', {
        platform: 'web',
        registeredAt: now + 5000,
        expiresAt: seconds + 99_999,
      });
      const outcome = await store.register(again, 10, now + 5000);
      expect(outcome).toEqual({ kind: 'refreshed', device: { ...again, registeredAt: now } });
      expect(await store.listByUser('user-a', now)).toEqual([{ ...again, registeredAt: now }]);
    });

    it('refuses a new token at the cap, but still refreshes a token the user has', async () => {
      await store.register(device('user-a', 'tok:1'), 2, now);
      await store.register(device('user-a', 'tok:2'), 2, now);
      expect(await store.register(device('user-a', 'tok:3'), 2, now)).toEqual({ kind: 'limit-reached' });
      expect((await store.register(device('user-a', 'tok:2'), 2, now)).kind).toBe('refreshed');
      expect(await tokensOf(store, 'user-a')).toEqual(['tok:1', 'tok:2']);
      // The cap is per user.
      expect((await store.register(device('user-b', 'tok:3'), 2, now)).kind).toBe('created');
    });

    it('neither lists nor counts expired devices', async () => {
      await store.register(device('user-a', 'old', { expiresAt: seconds - 1 }), 1, now - 10_000_000);
      expect(await store.listByUser('user-a', now)).toEqual([]);
      expect((await store.register(device('user-a', 'new'), 1, now)).kind).toBe('created');
      expect((await store.register(device('user-a', 'old'), 1, now)).kind).toBe('limit-reached');
    });

    it('moves a token to the user who registers it last', async () => {
      await store.register(device('user-a', 'shared'), 10, now);
      await store.register(device('user-a', 'mine'), 10, now);
      await store.register(device('user-b', 'shared'), 10, now);
      expect(await tokensOf(store, 'user-a')).toEqual(['mine']);
      expect(await tokensOf(store, 'user-b')).toEqual(['shared']);
    });

    it('removes only the caller’s own device', async () => {
      await store.register(device('user-a', 'tok:a'), 10, now);
      await store.register(device('user-b', 'tok:b'), 10, now);
      expect(await store.remove('user-a', 'tok:b')).toBe(false);
      expect(await tokensOf(store, 'user-b')).toEqual(['tok:b']);
      expect(await store.remove('user-a', 'tok:a')).toBe(true);
      expect(await store.remove('user-a', 'tok:a')).toBe(false);
      expect(await tokensOf(store, 'user-a')).toEqual([]);
    });
  });
}
