import { errorEnvelope, httpStatusFor, RegisterDeviceRequestSchema } from '@herald/protocol';
import { type DepsProvider, getDeps } from '../compose.ts';
import { newDevice } from '../core/devices.ts';
import { identityFromClaims } from '../core/identity.ts';
import { validationFailure } from '../core/validation.ts';
import { isRetryableRealtimeError } from '../errors.ts';
import { type CognitoHttpEvent, type HttpResponse, jsonResponse, requestBodyText } from '../events.ts';

/**
 * Builds `POST /devices {token, platform}`: registers a push device of the signed-in user.
 * `201` new, `200` already registered (refreshed; idempotent), `409 DEVICE_LIMIT_REACHED` at the
 * per-user cap, `400 VALIDATION_FAILED` for a bad body. The token is never logged or echoed.
 */
export function makeHttpRegisterDeviceHandler(
  deps: DepsProvider<'devices' | 'clock' | 'log' | 'maxDevicesPerUser'>,
) {
  return async (event: CognitoHttpEvent): Promise<HttpResponse> => {
    const { devices, clock, log, maxDevicesPerUser } = deps();
    const logger = log.child({ requestId: event.requestContext.requestId });
    const identity = identityFromClaims(event.requestContext.authorizer?.claims);
    if (identity === undefined) {
      return jsonResponse(httpStatusFor('UNAUTHENTICATED'), errorEnvelope('UNAUTHENTICATED'));
    }
    const parsed = RegisterDeviceRequestSchema.safeParse(parseJson(requestBodyText(event)));
    if (!parsed.success) return jsonResponse(400, validationFailure(parsed.error.issues));
    const now = clock.now();
    const device = newDevice({ userId: identity.userId, ...parsed.data, now });
    try {
      const outcome = await devices.register(device, maxDevicesPerUser, now);
      logger.log('info', 'device registration', { userId: identity.userId, outcome: outcome.kind });
      if (outcome.kind === 'limit-reached') {
        return jsonResponse(
          httpStatusFor('DEVICE_LIMIT_REACHED'),
          errorEnvelope('DEVICE_LIMIT_REACHED', undefined, { limit: maxDevicesPerUser }),
        );
      }
      const { platform, registeredAt } = outcome.device;
      return jsonResponse(outcome.kind === 'created' ? 201 : 200, {
        platform,
        registeredAt: new Date(registeredAt).toISOString(),
        created: outcome.kind === 'created',
      });
    } catch (error) {
      logger.log('error', 'device not registered', { userId: identity.userId, error });
      const code = isRetryableRealtimeError(error) ? 'UPSTREAM_UNAVAILABLE' : 'INTERNAL';
      return jsonResponse(httpStatusFor(code), errorEnvelope(code));
    }
  };
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text; // not JSON: the schema refuses it with a clear message
  }
}

export const handler = makeHttpRegisterDeviceHandler(getDeps);
