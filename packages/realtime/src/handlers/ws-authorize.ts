import { getBaseDeps } from '../compose/base.ts';
import { getStoreDeps } from '../compose/stores.ts';
import { getTokenDeps } from '../compose/tokens.ts';
import type { DepsProvider } from '../compose.ts';
import { authenticate } from '../core/authenticate.ts';
import { type AuthorizerPolicy, allowConnect } from '../core/authorizer-policy.ts';
import { extractCredential } from '../core/credentials.ts';
import { AuthenticationError } from '../errors.ts';
import type { WsAuthorizerEvent } from '../events.ts';

/**
 * Builds the `$connect` REQUEST authorizer: a one-time ticket (`?ticket=`, consumed here) or a
 * Cognito JWT offered as a subprotocol. Credentials never reach a log line. With a per-IP limit
 * configured, an address over its attempts per minute is refused (401) before anything else.
 */
export function makeWsAuthorizeHandler(
  deps: DepsProvider<'tokens' | 'tickets' | 'clock' | 'log' | 'connectLimiter'>,
) {
  return async (event: WsAuthorizerEvent): Promise<AuthorizerPolicy> => {
    const { tokens, tickets, clock, log, connectLimiter } = deps();
    const logger = log.child({
      requestId: event.requestContext?.requestId,
      connectionId: event.requestContext?.connectionId,
    });
    const credential = extractCredential(event);
    try {
      // Before anything is verified or a ticket consumed: a flood from one address stops here
      // (ADR 004; WAF cannot be attached to a WebSocket API).
      const sourceIp = event.requestContext?.identity?.sourceIp;
      if (connectLimiter && sourceIp && !(await connectLimiter.admit(sourceIp, clock.now())))
        throw new AuthenticationError('rate-limited', 'too many connection attempts from this address');
      if (credential === undefined) throw new AuthenticationError('missing', 'no credential was offered');
      const identity = await authenticate(credential, { tokens, tickets, now: clock.now() });
      logger.log('info', 'connection authorized', {
        userId: identity.userId,
        credentialKind: credential.kind,
      });
      return allowConnect(event.methodArn, identity);
    } catch (error) {
      if (error instanceof AuthenticationError) {
        logger.log('warn', 'connection refused', { reason: error.reason, credentialKind: credential?.kind });
        // This exact message is what API Gateway turns into a 401 for the client.
        throw new Error('Unauthorized');
      }
      // Not a verdict on the credential (JWKS or tickets table unreachable): fail (500) so the client retries.
      logger.log('error', 'authorizer failed', { error });
      throw error;
    }
  };
}

export const handler = makeWsAuthorizeHandler(() => ({
  ...getBaseDeps(),
  ...getStoreDeps(),
  ...getTokenDeps(),
}));
