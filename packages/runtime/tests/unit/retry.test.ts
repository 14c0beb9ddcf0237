import { describe, expect, it } from 'vitest';
import { HeraldError, isRetryable } from '../../src/errors.ts';
import { delay, fullJitterDelay, withRetries } from '../../src/retry.ts';

const policy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };

describe('fullJitterDelay', () => {
  it('draws uniformly below min(max, base × 2^attempt)', () => {
    expect(fullJitterDelay(0, policy, () => 0.999)).toBe(99);
    expect(fullJitterDelay(2, policy, () => 0.5)).toBe(200);
    expect(fullJitterDelay(10, policy, () => 0.999)).toBe(999);
    expect(fullJitterDelay(3, policy, () => 0)).toBe(0);
  });
});

describe('withRetries', () => {
  it('retries a retryable failure with growing delays until it succeeds', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withRetries(
      async () => {
        if (++calls < 3) throw new HeraldError('throttled', { retryable: true });
        return 'done';
      },
      { policy, random: () => 0.999, sleep: async (ms) => void waits.push(ms), retryable: isRetryable },
    );
    expect([result, calls, waits]).toEqual(['done', 3, [99, 199]]);
  });

  it('throws at once for an error retrying cannot fix, and the last error when attempts run out', async () => {
    let calls = 0;
    const options = { policy, random: () => 0, sleep: async () => {}, retryable: isRetryable };
    await expect(
      withRetries(async () => {
        calls++;
        throw new HeraldError('refused');
      }, options),
    ).rejects.toThrow('refused');
    expect(calls).toBe(1);
    await expect(
      withRetries(async (n) => {
        throw new HeraldError(`attempt ${n}`, { retryable: true });
      }, options),
    ).rejects.toThrow('attempt 3');
  });

  it('stops waiting and retrying as soon as the signal aborts, with its reason', async () => {
    const abort = new AbortController();
    const attempt = withRetries(
      async () => {
        throw new HeraldError('down', { retryable: true });
      },
      {
        policy: { ...policy, baseDelayMs: 60_000, maxDelayMs: 60_000 },
        random: () => 0.5,
        sleep: delay,
        retryable: isRetryable,
        signal: abort.signal,
      },
    );
    abort.abort(new Error('budget spent'));
    await expect(attempt).rejects.toThrow('budget spent');
  });
});

describe('isRetryable', () => {
  it('reads the flag on the error or anywhere in its cause chain, library errors included', () => {
    expect(isRetryable(new HeraldError('x', { retryable: true }))).toBe(true);
    expect(isRetryable(new HeraldError('x'))).toBe(false);
    expect(
      isRetryable(new Error('wrapper', { cause: Object.assign(new Error('io'), { retryable: true }) })),
    ).toBe(true);
    expect(isRetryable(new Error('plain'))).toBe(false);
    expect(isRetryable(undefined)).toBe(false);
  });
});
