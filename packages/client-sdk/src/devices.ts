import { APP_REST_ENDPOINTS, type DevicePlatform, type RegisterDeviceResponse } from '@herald/protocol/wire';
import type { HeraldClient } from './client.ts';
import { invalidArgument } from './errors.ts';
import {
  type AnswerChecksOf,
  type CallOptions,
  type DeviceRouteName,
  type RestApi,
  restApiOf,
} from './rest.ts';

// `@herald/client-sdk/devices`: the push-device registry (FCM tokens), which an app calls on
// sign-in and sign-out only; kept out of the core entry so app bundles that do not use pushes
// do not carry it.

const DEVICE = { platform: 'string', created: 'boolean' } as const;

const DEVICE_CHECKS: AnswerChecksOf<DeviceRouteName> = {
  registerDevice: { 200: DEVICE, 201: DEVICE },
  deleteDevice: { 204: null },
};

/**
 * The device routes (`POST /devices`, `DELETE /devices/{token}`) as typed calls through a
 * client's token and settings, like `client.rest`.
 *
 * @example
 * import { deviceApi } from '@herald/client-sdk/devices';
 *
 * const { status } = await deviceApi(client).registerDevice({ body: { token, platform: 'web' } });
 */
export function deviceApi(client: HeraldClient): RestApi<DeviceRouteName> {
  return restApiOf(client, DEVICE_CHECKS, APP_REST_ENDPOINTS);
}

/**
 * `POST /devices`: registers (or refreshes) an FCM token, so terminal events reach the user
 * as pushes while no WebSocket is open.
 *
 * @example
 * import { registerDevice } from '@herald/client-sdk/devices';
 *
 * await registerDevice(client, await getFcmToken(), 'web');
 */
export async function registerDevice(
  client: HeraldClient,
  token: string,
  platform: DevicePlatform = 'web',
  options: CallOptions = {},
): Promise<RegisterDeviceResponse> {
  if (typeof token !== 'string' || token === '')
    throw invalidArgument('registerDevice() needs the FCM token.');
  return (await deviceApi(client).registerDevice({ body: { token, platform }, signal: options.signal })).body;
}

/**
 * `DELETE /devices/{token}`: stops pushes to a device (e.g. on sign-out).
 *
 * @example
 * import { unregisterDevice } from '@herald/client-sdk/devices';
 *
 * await unregisterDevice(client, fcmToken);
 */
export async function unregisterDevice(
  client: HeraldClient,
  token: string,
  options: CallOptions = {},
): Promise<void> {
  if (typeof token !== 'string' || token === '')
    throw invalidArgument('unregisterDevice() needs the FCM token.');
  await deviceApi(client).deleteDevice({ params: { token }, signal: options.signal });
}
