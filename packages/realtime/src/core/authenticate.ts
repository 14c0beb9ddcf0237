import type { Identity } from '@herald/runtime';
import type { TicketStore, TokenVerifier } from '../ports.ts';
import type { Credential } from './credentials.ts';
import { redeemTicket } from './tickets.ts';

/** What {@link authenticate} needs. */
export interface AuthenticatePorts {
  readonly tokens: TokenVerifier;
  readonly tickets: TicketStore;
  /** Epoch milliseconds, for ticket expiry. */
  readonly now: number;
}

/**
 * The identity behind a `$connect` credential: a one-time ticket is redeemed (consumed), a JWT
 * is verified.
 *
 * @throws AuthenticationError when the credential is not acceptable.
 * @example
 * const identity = await authenticate({ kind: 'ticket', ticket }, { tokens, tickets, now: Date.now() });
 */
export async function authenticate(credential: Credential, ports: AuthenticatePorts): Promise<Identity> {
  switch (credential.kind) {
    case 'jwt':
      return ports.tokens.verify(credential.token);
    case 'ticket':
      return redeemTicket(credential.ticket, { tickets: ports.tickets, now: ports.now });
  }
}
