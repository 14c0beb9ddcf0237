import { DeviceTokenSchema, errorEnvelope, httpStatusFor } from '@herald/protocol';
import { type DepsProvider, getDeps } from '../compose.ts';
import { identityFromClaims } from '../core/identity.ts';
import { validationFailure } from '../core/validation.ts';
import { isRetryableRealtimeError } from '../errors.ts';
import { type CognitoHttpEvent, type HttpResponse, jsonResponse } from '../events.ts';

/**
 * Builds `DELETE /devices/{token}`: removes one of the signed-in user's devices. `204` when it
 * was registered, `404 NOT_FOUND` otherwise — including a token registered by someone else,
 * which stays untouched (the delete is keyed by the caller's own user id).
 */
export function makeHttpDeleteDeviceHandler(deps: DepsProvider<'devices' | 'log'>) {
  return async (event: CognitoHttpEvent): Promise<HttpResponse> => {
    const { devices, log } = deps();
    const logger = log.child({ requestId: event.requestContext.requestId });
    const identity = identityFromClaims(event.requestContext.authorizer?.claims);
    if (identity === undefined) {
      return jsonResponse(httpStatusFor('UNAUTHENTICATED'), errorEnvelope('UNAUTHENTICATED'));
    }
    const token = DeviceTokenSchema.safeParse(event.pathParameters?.token);
    if (!token.success) return jsonResponse(400, validationFailure(token.error.issues, 'token'));
    try {
      const removed = await devices.remove(identity.userId, token.data);
      logger.log('info', 'device removal', { userId: identity.userId, removed });
      if (!removed)
        return jsonResponse(404, errorEnvelope('NOT_FOUND', 'You have no device with this token.'));
      return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
    } catch (error) {
      logger.log('error', 'device not removed', { userId: identity.userId, error });
      const code = isRetryableRealtimeError(error) ? 'UPSTREAM_UNAVAILABLE' : 'INTERNAL';
      return jsonResponse(httpStatusFor(code), errorEnvelope(code));
    }
  };
}

export const handler = makeHttpDeleteDeviceHandler(getDeps);
