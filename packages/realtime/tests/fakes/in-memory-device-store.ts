import { isDeviceLive } from '../../src/core/devices.ts';
import type { DeviceRecord, DeviceStore, RegisterDeviceOutcome } from '../../src/ports.ts';

/** In-memory {@link DeviceStore}: same rules as the DynamoDB adapter (cap, refresh, hand-over). */
export class InMemoryDeviceStore implements DeviceStore {
  readonly #items = new Map<string, DeviceRecord>();
  #nextFailure: Error | undefined;
  /** Every (userId, token) `remove` was called with. */
  readonly removed: Array<{ userId: string; token: string }> = [];

  failNextWith(error: Error): void {
    this.#nextFailure = error;
  }

  async register(device: DeviceRecord, max: number, now: number): Promise<RegisterDeviceOutcome> {
    this.#throwIfFailing();
    const key = keyOf(device.userId, device.token);
    const existing = this.#items.get(key);
    let outcome: RegisterDeviceOutcome;
    if (existing !== undefined && isDeviceLive(existing, now)) {
      outcome = { kind: 'refreshed', device: { ...device, registeredAt: existing.registeredAt } };
    } else {
      const live = (await this.listByUser(device.userId, now)).length;
      if (live >= max) return { kind: 'limit-reached' };
      outcome = { kind: 'created', device };
    }
    this.#items.set(key, { ...outcome.device });
    for (const [otherKey, other] of this.#items) {
      if (other.token === device.token && other.userId !== device.userId) this.#items.delete(otherKey);
    }
    return outcome;
  }

  async remove(userId: string, token: string): Promise<boolean> {
    this.#throwIfFailing();
    this.removed.push({ userId, token });
    return this.#items.delete(keyOf(userId, token));
  }

  async listByUser(userId: string, now: number): Promise<DeviceRecord[]> {
    this.#throwIfFailing();
    return [...this.#items.values()]
      .filter((d) => d.userId === userId && isDeviceLive(d, now))
      .sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0))
      .map((d) => ({ ...d }));
  }

  #throwIfFailing(): void {
    const failure = this.#nextFailure;
    this.#nextFailure = undefined;
    if (failure !== undefined) throw failure;
  }
}

function keyOf(userId: string, token: string): string {
  return JSON.stringify([userId, token]);
}
