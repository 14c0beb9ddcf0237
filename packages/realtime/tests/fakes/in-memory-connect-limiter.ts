import { connectWindow } from '../../src/core/connect-limit.ts';
import type { ConnectLimiter } from '../../src/ports.ts';

/** {@link ConnectLimiter} in memory: counters by `connectWindow` key. */
export class InMemoryConnectLimiter implements ConnectLimiter {
  readonly attempts = new Map<string, number>();

  constructor(private readonly perMinute: number) {}

  async admit(sourceIp: string, nowMs: number): Promise<boolean> {
    const { key } = connectWindow(sourceIp, nowMs);
    const count = this.attempts.get(key) ?? 0;
    if (count >= this.perMinute) return false;
    this.attempts.set(key, count + 1);
    return true;
  }
}
