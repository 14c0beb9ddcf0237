import type { DevicePlatform } from '@herald/protocol';
import type { DeviceRecord } from '../ports.ts';

/** Devices a user may register at once, by default (`HERALD_MAX_DEVICES_PER_USER`). */
export const DEFAULT_MAX_DEVICES_PER_USER = 10;

/**
 * A device that has not re-registered for this long is forgotten (table TTL). FCM itself treats
 * a token inactive for 270 days as expired, and apps re-register on every start.
 * https://firebase.google.com/docs/cloud-messaging/manage-tokens
 */
export const DEVICE_TTL_SECONDS = 270 * 24 * 60 * 60;

/** Input of {@link newDevice}. */
export interface NewDeviceInput {
  readonly userId: string;
  readonly token: string;
  readonly platform: DevicePlatform;
  /** Epoch milliseconds. */
  readonly now: number;
}

/**
 * The device record `POST /devices` registers.
 *
 * @example
 * await devices.register(newDevice({ userId, token, platform: 'android', now }), 10, now);
 */
export function newDevice(input: NewDeviceInput): DeviceRecord {
  const { userId, token, platform, now } = input;
  if (userId === '' || token === '') throw new RangeError('userId and token must not be empty');
  return {
    userId,
    token,
    platform,
    registeredAt: now,
    expiresAt: Math.floor(now / 1000) + DEVICE_TTL_SECONDS,
  };
}

/** Whether a stored device is live at `now` (epoch ms): TTL deletion is lazy, so reads filter. */
export function isDeviceLive(device: Pick<DeviceRecord, 'expiresAt'>, now: number): boolean {
  return device.expiresAt * 1000 > now;
}
