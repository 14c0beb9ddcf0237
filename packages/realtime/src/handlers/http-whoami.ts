import { errorEnvelope, httpStatusFor } from '@herald/protocol';
import { type DepsProvider, getDeps } from '../compose.ts';
import { identityFromClaims } from '../core/identity.ts';
import { type CognitoHttpEvent, type HttpResponse, jsonResponse } from '../events.ts';

/** Builds `GET /me`: the signed-in user's `{userId, username, groups}` from the Cognito claims. */
export function makeHttpWhoamiHandler(deps: DepsProvider<'log'>) {
  return async (event: CognitoHttpEvent): Promise<HttpResponse> => {
    const identity = identityFromClaims(event.requestContext.authorizer?.claims);
    if (identity === undefined) {
      // The Cognito authorizer guards this route, so missing claims mean a deployment mistake.
      deps().log.log('warn', 'GET /me without usable Cognito claims', {
        requestId: event.requestContext.requestId,
      });
      return jsonResponse(httpStatusFor('UNAUTHENTICATED'), errorEnvelope('UNAUTHENTICATED'));
    }
    const { userId, username, groups } = identity;
    return jsonResponse(200, { userId, username, groups });
  };
}

export const handler = makeHttpWhoamiHandler(getDeps);
