import type { Clock } from '@herald/runtime';

/**
 * A {@link Clock} that stands still until told otherwise (or ticks by `autoAdvanceMs` per read).
 * Shared by the packages' tests (`packages/<name>/tests`), which import it by path.
 */
export class FakeClock implements Clock {
  #now: number;
  readonly #autoAdvanceMs: number;

  constructor(now: number | string = '2026-01-15T09:00:00.000Z', options: { autoAdvanceMs?: number } = {}) {
    this.#now = typeof now === 'string' ? Date.parse(now) : now;
    this.#autoAdvanceMs = options.autoAdvanceMs ?? 0;
  }

  now(): number {
    const now = this.#now;
    this.#now += this.#autoAdvanceMs;
    return now;
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}
