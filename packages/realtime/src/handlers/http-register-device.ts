import { errorEnvelope, RegisterDeviceRequestSchema } from '@herald/protocol';
import { errorReply, httpRoute, json } from '@herald/runtime';
import { getBaseDeps } from '../compose/base.ts';
import { getStoreDeps } from '../compose/stores.ts';
import type { DepsProvider } from '../compose.ts';
import { newDevice } from '../core/devices.ts';

/**
 * Builds `POST /devices {token, platform}`: registers a push device of the signed-in user.
 * `201` new, `200` already registered (refreshed; idempotent), `409 DEVICE_LIMIT_REACHED` at the
 * per-user cap, `400 VALIDATION_FAILED` for a bad body — a body that is not JSON included, as the
 * route's contract (and API Gateway's request validator) says. The token is never logged or echoed.
 */
export function makeHttpRegisterDeviceHandler(
  deps: DepsProvider<'cors' | 'devices' | 'clock' | 'log' | 'metrics' | 'maxDevicesPerUser'>,
) {
  return httpRoute(
    deps,
    { route: 'POST /devices', body: RegisterDeviceRequestSchema, notJson: 'VALIDATION_FAILED' },
    async ({ caller, body, log }, d) => {
      const now = d.clock.now();
      const device = newDevice({ userId: caller.userId, ...body, now });
      const outcome = await d.devices.register(device, d.maxDevicesPerUser, now);
      log.log('info', 'device registration', { outcome: outcome.kind });
      if (outcome.kind === 'limit-reached') {
        return errorReply(errorEnvelope('DEVICE_LIMIT_REACHED', undefined, { limit: d.maxDevicesPerUser }));
      }
      const { platform, registeredAt } = outcome.device;
      return json(outcome.kind === 'created' ? 201 : 200, {
        platform,
        registeredAt: new Date(registeredAt).toISOString(),
        created: outcome.kind === 'created',
      });
    },
  );
}

export const handler = makeHttpRegisterDeviceHandler(() => ({ ...getBaseDeps(), ...getStoreDeps() }));
