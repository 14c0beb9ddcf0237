import { JwtTokenVerifier } from '../adapters/jwt-token-verifier.ts';
import type { RealtimeDeps } from '../compose.ts';
import { getConfig } from './base.ts';

let tokens: Pick<RealtimeDeps, 'tokens'> | undefined;

/**
 * The container's Cognito JWT verifier (its JWKS cache lives as long as the container), built at
 * the first call. Only the `$connect` authorizer verifies tokens.
 *
 * @example
 * export const handler = makeWsAuthorizeHandler(() => ({ ...getBaseDeps(), ...getStoreDeps(), ...getTokenDeps() }));
 */
export function getTokenDeps(): Pick<RealtimeDeps, 'tokens'> {
  tokens ??= { tokens: new JwtTokenVerifier(getConfig().jwt) };
  return tokens;
}

/** Forgets the verifier (`resetDeps` in `compose.ts` calls it). */
export function resetTokenDeps(): void {
  tokens = undefined;
}
