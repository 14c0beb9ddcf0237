import { describe, expect, it } from 'vitest';
import type { ConnectLimiter } from '../../src/ports.ts';

/**
 * The behaviour every {@link ConnectLimiter} must have.
 *
 * @param makeLimiter returns an EMPTY limiter (e.g. a fresh table) allowing `perMinute` attempts.
 */
export function describeConnectLimiterContract(
  name: string,
  makeLimiter: (perMinute: number) => Promise<ConnectLimiter>,
): void {
  const MINUTE = Date.parse('2026-12-05T03:00:00.000Z');

  describe(`ConnectLimiter contract: ${name}`, () => {
    it('admits an address its allowance per minute, then refuses it', async () => {
      const limiter = await makeLimiter(3);
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await limiter.admit('203.0.113.7', MINUTE + i * 1000));
      expect(answers).toEqual([true, true, true, false, false]);
    });

    it('counts each address on its own', async () => {
      const limiter = await makeLimiter(1);
      expect(await limiter.admit('203.0.113.7', MINUTE)).toBe(true);
      expect(await limiter.admit('203.0.113.7', MINUTE)).toBe(false);
      expect(await limiter.admit('2001:db8::1', MINUTE)).toBe(true);
    });

    it('starts over in the next minute', async () => {
      const limiter = await makeLimiter(1);
      expect(await limiter.admit('203.0.113.7', MINUTE + 59_999)).toBe(true);
      expect(await limiter.admit('203.0.113.7', MINUTE + 59_999)).toBe(false);
      expect(await limiter.admit('203.0.113.7', MINUTE + 60_000)).toBe(true);
    });

    it('never admits more than the allowance to concurrent attempts', async () => {
      const limiter = await makeLimiter(3);
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => limiter.admit('198.51.100.9', MINUTE)),
      );
      expect(answers.filter(Boolean)).toHaveLength(3);
    });
  });
}
