import { describe, expect, it } from 'vitest';
import { CONNECT_WINDOW_SECONDS, connectWindow } from '../../src/core/connect-limit.ts';
import { describeConnectLimiterContract } from '../contracts/connect-limiter.contract.ts';
import { InMemoryConnectLimiter } from '../fakes/in-memory-connect-limiter.ts';

describeConnectLimiterContract(
  'InMemoryConnectLimiter',
  async (perMinute) => new InMemoryConnectLimiter(perMinute),
);

describe('connectWindow', () => {
  it('keys a counter by address and minute, kept a whole window past its end', () => {
    const start = Date.parse('2026-12-05T03:00:00.000Z');
    const a = connectWindow('203.0.113.7', start);
    expect(connectWindow('203.0.113.7', start + 59_999)).toEqual(a);
    expect(connectWindow('203.0.113.7', start + 60_000).key).not.toBe(a.key);
    expect(connectWindow('203.0.113.8', start).key).not.toBe(a.key);
    expect(a.expiresAt).toBe(start / 1000 + 2 * CONNECT_WINDOW_SECONDS);
  });
});
