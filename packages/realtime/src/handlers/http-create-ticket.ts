import { errorEnvelope, httpStatusFor } from '@herald/protocol';
import { type DepsProvider, getDeps } from '../compose.ts';
import { identityFromClaims } from '../core/identity.ts';
import { issueTicket } from '../core/tickets.ts';
import { isRetryableRealtimeError } from '../errors.ts';
import { type CognitoHttpEvent, type HttpResponse, jsonResponse } from '../events.ts';

/**
 * Builds `POST /realtime/tickets`: a one-time `$connect` ticket for the signed-in user,
 * `201 {ticket, expiresAt}`. Only the ticket's hash is stored; the ticket is never logged.
 */
export function makeHttpCreateTicketHandler(deps: DepsProvider<'tickets' | 'clock' | 'randomBytes' | 'log'>) {
  return async (event: CognitoHttpEvent): Promise<HttpResponse> => {
    const { tickets, clock, randomBytes, log } = deps();
    const logger = log.child({ requestId: event.requestContext.requestId });
    const identity = identityFromClaims(event.requestContext.authorizer?.claims);
    if (identity === undefined) {
      logger.log('warn', 'POST /realtime/tickets without usable Cognito claims');
      return jsonResponse(httpStatusFor('UNAUTHENTICATED'), errorEnvelope('UNAUTHENTICATED'));
    }
    const { ticket, record, expiresAtMs } = issueTicket({ identity, now: clock.now(), randomBytes });
    try {
      await tickets.put(record);
    } catch (error) {
      logger.log('error', 'ticket not stored', { userId: identity.userId, error });
      const code = isRetryableRealtimeError(error) ? 'UPSTREAM_UNAVAILABLE' : 'INTERNAL';
      return jsonResponse(httpStatusFor(code), errorEnvelope(code));
    }
    logger.log('info', 'ticket issued', { userId: identity.userId });
    return jsonResponse(201, { ticket, expiresAt: new Date(expiresAtMs).toISOString() });
  };
}

export const handler = makeHttpCreateTicketHandler(getDeps);
