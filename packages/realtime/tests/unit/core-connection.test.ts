import { describe, expect, it } from 'vitest';
import { isConnectionLive, newConnection } from '../../src/core/connection.ts';

const identity = { userId: 'user-1', username: 'ada', groups: [] };
const now = Date.parse('2025-06-01T12:00:00.250Z');

describe('newConnection', () => {
  it('records the user, the connection time and an expiry ttlSeconds later in epoch seconds', () => {
    expect(newConnection({ connectionId: 'L0SM9cOFvHcCIhw=', identity, now, ttlSeconds: 10_800 })).toEqual({
      connectionId: 'L0SM9cOFvHcCIhw=',
      userId: 'user-1',
      connectedAt: now,
      // rounded UP, so the item never expires before the connection can
      expiresAt: Math.ceil(now / 1000) + 10_800,
    });
  });

  it('keeps a minimum-TTL connection live for the whole 2-hour API Gateway lifetime', () => {
    const connection = newConnection({ connectionId: 'c', identity, now, ttlSeconds: 7200 });
    expect(isConnectionLive(connection, now + 2 * 60 * 60 * 1000)).toBe(true);
  });

  it('refuses a TTL below the 2-hour connection lifetime', () => {
    expect(() => newConnection({ connectionId: 'c', identity, now, ttlSeconds: 7199 })).toThrow(RangeError);
  });

  it('refuses an empty connection id or user id', () => {
    expect(() => newConnection({ connectionId: '', identity, now, ttlSeconds: 7200 })).toThrow(RangeError);
    expect(() =>
      newConnection({ connectionId: 'c', identity: { userId: '' }, now, ttlSeconds: 7200 }),
    ).toThrow(RangeError);
  });
});

describe('isConnectionLive', () => {
  const expiresAt = 1_750_000_000;
  it('is live strictly before expiresAt and dead from expiresAt on', () => {
    expect(isConnectionLive({ expiresAt }, expiresAt * 1000 - 1)).toBe(true);
    expect(isConnectionLive({ expiresAt }, expiresAt * 1000)).toBe(false);
    expect(isConnectionLive({ expiresAt }, expiresAt * 1000 + 1)).toBe(false);
  });
});
