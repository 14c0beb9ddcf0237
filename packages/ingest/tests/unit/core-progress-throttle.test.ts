import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../runtime/tests/support/fake-clock.ts';
import { ProgressThrottle, progressFigures } from '../../src/core/progress-throttle.ts';

describe('ProgressThrottle', () => {
  it('emits at most once per interval, and only on entering a new 5 % step', () => {
    const clock = new FakeClock(0);
    const throttle = new ProgressThrottle({ minIntervalMs: 250, percentStep: 5 }, clock.now());
    const emitted: number[] = [];
    // 1 % every 50 ms: steps are crossed every 250 ms, so each step gets its event.
    for (let percent = 1; percent <= 100; percent++) {
      clock.advance(50);
      if (throttle.offer(percent, clock.now())) emitted.push(percent);
    }
    expect(emitted).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100]);
  });

  it('coalesces steps crossed within one interval into the next event', () => {
    const clock = new FakeClock(0);
    const throttle = new ProgressThrottle({ minIntervalMs: 250, percentStep: 5 }, clock.now());
    const emitted: number[] = [];
    // 10 % every 100 ms: two steps per 100 ms, but never two events within 250 ms.
    for (let percent = 10; percent <= 100; percent += 10) {
      clock.advance(100);
      if (throttle.offer(percent, clock.now())) emitted.push(percent);
    }
    expect(emitted).toEqual([30, 60, 90]);
  });

  it('stays silent while progress stays within one step, however long it takes', () => {
    const clock = new FakeClock(0);
    const throttle = new ProgressThrottle({ minIntervalMs: 250, percentStep: 5 }, clock.now());
    for (let i = 0; i < 100; i++) {
      clock.advance(1000);
      expect(throttle.offer(4.9, clock.now())).toBe(false);
    }
    expect(throttle.offer(5, clock.now())).toBe(true);
  });

  it('with percentStep 0 emits on time alone', () => {
    const clock = new FakeClock(0);
    const throttle = new ProgressThrottle({ minIntervalMs: 250, percentStep: 0 }, clock.now());
    const times: number[] = [];
    for (let t = 0; t < 20; t++) {
      clock.advance(100);
      if (throttle.offer(1, clock.now())) times.push(clock.now());
    }
    expect(times).toEqual([300, 600, 900, 1200, 1500, 1800]);
  });

  it('never emits after close (the terminal event)', () => {
    const clock = new FakeClock(0);
    const throttle = new ProgressThrottle({ minIntervalMs: 0, percentStep: 5 }, clock.now());
    expect(throttle.offer(50, clock.now())).toBe(true);
    throttle.close();
    expect(throttle.closed).toBe(true);
    clock.advance(10_000);
    expect(throttle.offer(100, clock.now())).toBe(false);
  });

  it('refuses nonsense options', () => {
    expect(() => new ProgressThrottle({ minIntervalMs: -1 }, 0)).toThrow(RangeError);
    expect(() => new ProgressThrottle({ percentStep: 101 }, 0)).toThrow(RangeError);
  });
});

describe('progressFigures', () => {
  it('derives percent, rows per second and the ETA from the byte rate', () => {
    expect(progressFigures({ bytesRead: 250, rowsProcessed: 40 }, 1000, 2000)).toEqual({
      bytesRead: 250,
      bytesTotal: 1000,
      rowsProcessed: 40,
      percent: 25,
      rowsPerSecond: 20,
      etaSeconds: 6,
    });
  });

  it('has no ETA before a rate is known and caps percent at 100', () => {
    expect(progressFigures({ bytesRead: 0, rowsProcessed: 0 }, 1000, 0)).toMatchObject({
      percent: 0,
      rowsPerSecond: 0,
      etaSeconds: null,
    });
    expect(progressFigures({ bytesRead: 1200, rowsProcessed: 9 }, 1000, 1000)).toMatchObject({
      percent: 100,
      etaSeconds: 0,
    });
    expect(progressFigures({ bytesRead: 1, rowsProcessed: 0 }, 3, 1000).percent).toBe(33.3);
  });
});
