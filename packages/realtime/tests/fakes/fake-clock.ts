import type { Clock } from '@herald/runtime';

/** A {@link Clock} that stands still until told otherwise. */
export class FakeClock implements Clock {
  #now: number;

  constructor(now: number | string) {
    this.#now = typeof now === 'string' ? Date.parse(now) : now;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}
