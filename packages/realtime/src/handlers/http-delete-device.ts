import { DeviceTokenSchema, errorEnvelope } from '@herald/protocol';
import { errorReply, httpRoute, noContent } from '@herald/runtime';
import * as z from 'zod';
import { getBaseDeps } from '../compose/base.ts';
import { getStoreDeps } from '../compose/stores.ts';
import type { DepsProvider } from '../compose.ts';

const DevicePathSchema = z.object({ token: DeviceTokenSchema });

/**
 * Builds `DELETE /devices/{token}`: removes one of the signed-in user's devices. `204` when it
 * was registered, `404 NOT_FOUND` otherwise — including a token registered by someone else,
 * which stays untouched (the delete is keyed by the caller's own user id).
 */
export function makeHttpDeleteDeviceHandler(deps: DepsProvider<'cors' | 'devices' | 'log' | 'metrics'>) {
  return httpRoute(
    deps,
    { route: 'DELETE /devices/{token}', path: DevicePathSchema },
    async ({ caller, path, log }, d) => {
      const removed = await d.devices.remove(caller.userId, path.token);
      log.log('info', 'device removal', { removed });
      return removed
        ? noContent()
        : errorReply(errorEnvelope('NOT_FOUND', 'You have no device with this token.'));
    },
  );
}

export const handler = makeHttpDeleteDeviceHandler(() => ({ ...getBaseDeps(), ...getStoreDeps() }));
