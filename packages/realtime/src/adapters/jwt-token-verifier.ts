import { type Identity, identityFromClaims } from '@herald/runtime';
import { JwtVerifier } from 'aws-jwt-verify';
import { validateCognitoJwtFields } from 'aws-jwt-verify/cognito-verifier';
import { FetchError, JwtExpiredError, JwtParseError } from 'aws-jwt-verify/error';
import type { Fetcher } from 'aws-jwt-verify/https';
import { assertIsJwks, type Jwks, SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { decomposeUnverifiedJwt } from 'aws-jwt-verify/jwt';
import type { JwtPayload } from 'aws-jwt-verify/jwt-model';
import { safeJsonParse } from 'aws-jwt-verify/safe-json-parse';
import { AuthenticationError, IdentityProviderUnavailableError, RealtimeError } from '../errors.ts';
import type { TokenVerifier } from '../ports.ts';

/** Options of {@link JwtTokenVerifier}. */
export interface JwtTokenVerifierOptions {
  /** Expected `iss`, e.g. `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf`. */
  readonly issuer: string;
  /** The Cognito app client id: `aud` of ID tokens, `client_id` of access tokens. */
  readonly audience: string;
  /** Where the signing keys are; the caller (config) decides which URIs are trustworthy. */
  readonly jwksUri: string;
  /** Fetches the JWKS; defaults to {@link HttpJwksFetcher}. */
  readonly fetcher?: Fetcher;
}

/** The only signature algorithm accepted; Cognito signs with RS256. */
const ACCEPTED_ALG = 'RS256';

/**
 * JWKS fetcher over the platform `fetch`, for http AND https. aws-jwt-verify's own fetcher
 * speaks https only, which would make the local identity provider (http on 127.0.0.1)
 * unreachable; which URIs are acceptable is decided by config (`isAllowedJwksUri`).
 *
 * @example
 * new SimpleJwksCache({ fetcher: new HttpJwksFetcher({ timeoutMs: 3000 }) });
 */
export class HttpJwksFetcher implements Fetcher {
  readonly #timeoutMs: number;

  constructor(options: { timeoutMs?: number } = {}) {
    this.#timeoutMs = options.timeoutMs ?? 3000;
  }

  async fetch(uri: string): Promise<ArrayBuffer> {
    let response: Response;
    try {
      response = await fetch(uri, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new IdentityProviderUnavailableError(`JWKS ${uri} could not be fetched`, { cause: error });
    }
    if (!response.ok) {
      throw new IdentityProviderUnavailableError(`JWKS ${uri} answered HTTP ${response.status}`);
    }
    return response.arrayBuffer();
  }
}

function parseJwks(body: ArrayBuffer): Jwks {
  try {
    // safeJsonParse drops `__proto__` keys, as aws-jwt-verify's own parser does.
    const jwks = safeJsonParse(new TextDecoder().decode(body));
    assertIsJwks(jwks);
    return jwks;
  } catch (error) {
    throw new IdentityProviderUnavailableError('the identity provider answered an invalid JWKS', {
      cause: error,
    });
  }
}

/**
 * {@link TokenVerifier} for Cognito ID and access tokens, with aws-jwt-verify: RS256 only,
 * issuer checked, `aud` (ID token) or `client_id` (access token) equal to the app client id,
 * `token_use` `id` or `access`, not expired. The token never appears in an error.
 *
 * @example
 * const verifier = new JwtTokenVerifier({ issuer, audience: clientId, jwksUri });
 * const { userId, groups } = await verifier.verify(token);
 */
export class JwtTokenVerifier implements TokenVerifier {
  readonly #verifier: { verify(token: string): Promise<JwtPayload> };

  constructor(options: JwtTokenVerifierOptions) {
    const { issuer, audience, jwksUri } = options;
    const jwksCache = new SimpleJwksCache({
      fetcher: options.fetcher ?? new HttpJwksFetcher(),
      jwksParser: parseJwks,
    });
    this.#verifier = JwtVerifier.create(
      {
        issuer,
        jwksUri,
        // Checked by validateCognitoJwtFields instead: only ID tokens carry `aud`.
        audience: null,
        customJwtCheck: ({ payload }) =>
          validateCognitoJwtFields(payload, { tokenUse: null, clientId: audience }),
      },
      { jwksCache },
    );
  }

  async verify(token: string): Promise<Identity> {
    try {
      // Refuse every other algorithm before any key lookup (aws-jwt-verify already refuses
      // `none` and HMAC; this also refuses RS384/ES256/... Cognito never uses).
      const { header } = decomposeUnverifiedJwt(token);
      if (header.alg !== ACCEPTED_ALG) {
        throw new AuthenticationError('unsupported', `token algorithm ${String(header.alg)} is not accepted`);
      }
      const payload = await this.#verifier.verify(token);
      const identity = identityFromClaims(payload);
      if (identity === undefined)
        throw new AuthenticationError('invalid', 'token has no subject or user name');
      return identity;
    } catch (error) {
      throw translate(error);
    }
  }
}

function translate(error: unknown): RealtimeError {
  if (error instanceof RealtimeError) return error;
  if (error instanceof FetchError) {
    return new IdentityProviderUnavailableError('the JWKS could not be fetched', { cause: error });
  }
  if (error instanceof JwtParseError)
    return new AuthenticationError('malformed', 'token is not a well-formed JWT', { cause: error });
  if (error instanceof JwtExpiredError)
    return new AuthenticationError('expired', 'token has expired', { cause: error });
  const name = error instanceof Error ? error.name : 'unknown error';
  return new AuthenticationError('invalid', `token was refused (${name})`, { cause: error });
}
