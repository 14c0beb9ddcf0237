import { httpRoute, json } from '@herald/runtime';
import { getBaseDeps } from '../compose/base.ts';
import { getStoreDeps } from '../compose/stores.ts';
import type { DepsProvider } from '../compose.ts';
import { issueTicket } from '../core/tickets.ts';

/**
 * Builds `POST /realtime/tickets`: a one-time `$connect` ticket for the signed-in user,
 * `201 {ticket, expiresAt}`. Only the ticket's hash is stored; the ticket is never logged.
 */
export function makeHttpCreateTicketHandler(
  deps: DepsProvider<'cors' | 'tickets' | 'clock' | 'randomBytes' | 'log' | 'metrics'>,
) {
  return httpRoute(deps, { route: 'POST /realtime/tickets' }, async ({ caller, log }, d) => {
    const { ticket, record, expiresAtMs } = issueTicket({
      identity: caller,
      now: d.clock.now(),
      randomBytes: d.randomBytes,
    });
    await d.tickets.put(record);
    log.log('info', 'ticket issued');
    return json(201, { ticket, expiresAt: new Date(expiresAtMs).toISOString() });
  });
}

export const handler = makeHttpCreateTicketHandler(() => ({ ...getBaseDeps(), ...getStoreDeps() }));
