import { AuthenticationError } from '../errors.ts';
import type { Identity, TokenVerifier } from '../ports.ts';
import type { Credential } from './credentials.ts';

/** What {@link authenticate} needs. */
export interface AuthenticatePorts {
  readonly tokens: TokenVerifier;
}

/**
 * The identity behind a `$connect` credential.
 *
 * @throws AuthenticationError when the credential is not acceptable.
 * @example
 * const identity = await authenticate({ kind: 'jwt', token }, { tokens });
 */
export async function authenticate(credential: Credential, ports: AuthenticatePorts): Promise<Identity> {
  switch (credential.kind) {
    case 'jwt':
      return ports.tokens.verify(credential.token);
    case 'ticket':
      // SEAM for the realtime issue: redeem the one-time ticket here through a `TicketStore`
      // port (single use: consumed by a conditional delete; expires in about a minute). Until
      // that exists a ticket is refused — accepting it unchecked would admit anyone.
      throw new AuthenticationError(
        'unsupported',
        'ticket credentials are not supported by this server version',
      );
  }
}
