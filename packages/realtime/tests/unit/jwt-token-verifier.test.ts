import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Fetcher } from 'aws-jwt-verify/https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpJwksFetcher, JwtTokenVerifier } from '../../src/adapters/jwt-token-verifier.ts';
import { AuthenticationError, IdentityProviderUnavailableError } from '../../src/errors.ts';
import { hs256WithPublicKey, makeRsaKey, StaticJwksFetcher, signJwt, unsignedJwt } from '../helpers/jwt.ts';

const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test';
const CLIENT_ID = 'app-client-1';
const JWKS_URI = `${ISSUER}/.well-known/jwks.json`;
const key = makeRsaKey('key-1');
const otherKey = makeRsaKey('key-1'); // same kid, different key: a forger's signature
const nowSeconds = () => Math.floor(Date.now() / 1000);

function idClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: 'user-123',
    iss: ISSUER,
    aud: CLIENT_ID,
    token_use: 'id',
    'cognito:username': 'ada',
    'cognito:groups': ['analysts', 'admins'],
    iat: nowSeconds() - 10,
    exp: nowSeconds() + 3600,
    ...overrides,
  };
}

function accessClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sub: 'user-123',
    iss: ISSUER,
    client_id: CLIENT_ID,
    token_use: 'access',
    username: 'ada',
    scope: 'openid',
    iat: nowSeconds() - 10,
    exp: nowSeconds() + 3600,
    ...overrides,
  };
}

function makeVerifier(fetcher: Fetcher = new StaticJwksFetcher([key])) {
  return new JwtTokenVerifier({ issuer: ISSUER, audience: CLIENT_ID, jwksUri: JWKS_URI, fetcher });
}

async function refusal(token: string, verifier = makeVerifier()): Promise<AuthenticationError> {
  const error = await verifier.verify(token).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthenticationError);
  const authError = error as AuthenticationError;
  // Whatever the reason, the credential itself never travels in the error.
  expect(authError.message).not.toContain(token);
  expect(authError.retryable).toBe(false);
  return authError;
}

describe('JwtTokenVerifier', () => {
  it('accepts a valid Cognito ID token and returns its identity', async () => {
    const fetcher = new StaticJwksFetcher([key]);
    const identity = await makeVerifier(fetcher).verify(signJwt(key, idClaims()));
    expect(identity).toEqual({ userId: 'user-123', username: 'ada', groups: ['analysts', 'admins'] });
    expect(fetcher.requested).toEqual([JWKS_URI]);
  });

  it('accepts a valid Cognito access token (client_id instead of aud)', async () => {
    const identity = await makeVerifier().verify(signJwt(key, accessClaims()));
    expect(identity).toEqual({ userId: 'user-123', username: 'ada', groups: [] });
  });

  it('fetches the JWKS once and reuses it for later tokens', async () => {
    const fetcher = new StaticJwksFetcher([key]);
    const verifier = makeVerifier(fetcher);
    await verifier.verify(signJwt(key, idClaims()));
    await verifier.verify(signJwt(key, accessClaims()));
    expect(fetcher.requested).toHaveLength(1);
  });

  it('refuses an expired token', async () => {
    const error = await refusal(signJwt(key, idClaims({ exp: nowSeconds() - 1 })));
    expect(error.reason).toBe('expired');
  });

  it('refuses an ID token for another app client', async () => {
    expect((await refusal(signJwt(key, idClaims({ aud: 'other-client' })))).reason).toBe('invalid');
  });

  it('refuses an access token for another app client', async () => {
    expect((await refusal(signJwt(key, accessClaims({ client_id: 'other-client' })))).reason).toBe('invalid');
  });

  it('refuses a token from another issuer', async () => {
    const token = signJwt(
      key,
      idClaims({ iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Evil' }),
    );
    expect((await refusal(token)).reason).toBe('invalid');
  });

  it('refuses a token whose token_use is neither id nor access', async () => {
    expect((await refusal(signJwt(key, idClaims({ token_use: 'refresh' })))).reason).toBe('invalid');
  });

  it('refuses a token signed by another key under the same kid', async () => {
    expect((await refusal(signJwt(otherKey, idClaims()))).reason).toBe('invalid');
  });

  it('refuses a token whose kid is not in the JWKS', async () => {
    expect((await refusal(signJwt(makeRsaKey('unknown-kid'), idClaims()))).reason).toBe('invalid');
  });

  it('refuses an unsigned alg:none token without fetching keys', async () => {
    const fetcher = new StaticJwksFetcher([key]);
    // An empty signature segment already fails the JWT grammar.
    const error = await refusal(unsignedJwt('key-1', idClaims()), makeVerifier(fetcher));
    expect(error.reason).toBe('malformed');
    expect(fetcher.requested).toEqual([]);
  });

  it('refuses alg:none even with a signature segment present', async () => {
    const fetcher = new StaticJwksFetcher([key]);
    const withSignature = `${unsignedJwt('key-1', idClaims())}c2lnbmF0dXJl`;
    const error = await refusal(withSignature, makeVerifier(fetcher));
    expect(error.reason).toBe('unsupported');
    expect(fetcher.requested).toEqual([]);
  });

  it('refuses HS256 keyed with the public key (algorithm confusion)', async () => {
    expect((await refusal(hs256WithPublicKey(key, idClaims()))).reason).toBe('unsupported');
  });

  it('refuses an RS512 token although the library would accept it', async () => {
    const token = signJwt(key, idClaims(), { alg: 'RS512' });
    expect((await refusal(token)).reason).toBe('unsupported');
  });

  it('refuses a token without a user name', async () => {
    const claims = idClaims();
    delete claims['cognito:username'];
    expect((await refusal(signJwt(key, claims))).reason).toBe('invalid');
  });

  it('refuses garbage as malformed', async () => {
    expect((await refusal('not-a-jwt')).reason).toBe('malformed');
  });

  it('reports an unreachable JWKS as a retryable provider failure, not as a bad token', async () => {
    const verifier = makeVerifier({
      fetch: async () => {
        throw new IdentityProviderUnavailableError('connection refused');
      },
    });
    const error = await verifier.verify(signJwt(key, idClaims())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IdentityProviderUnavailableError);
    expect((error as IdentityProviderUnavailableError).retryable).toBe(true);
  });

  it('reports a JWKS that is not a key set as a provider failure', async () => {
    const verifier = makeVerifier({
      fetch: async () => new TextEncoder().encode('<html>oops</html>').buffer as ArrayBuffer,
    });
    await expect(verifier.verify(signJwt(key, idClaims()))).rejects.toBeInstanceOf(
      IdentityProviderUnavailableError,
    );
  });
});

describe('HttpJwksFetcher', () => {
  let server: Server;
  let baseUrl: string;
  let status = 200;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url !== '/.well-known/jwks.json' || status !== 200) {
        res.writeHead(status === 200 ? 404 : status).end();
        return;
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [key.publicJwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('lets the verifier use a local identity provider over http on loopback', async () => {
    status = 200;
    const verifier = new JwtTokenVerifier({
      issuer: baseUrl,
      audience: CLIENT_ID,
      jwksUri: `${baseUrl}/.well-known/jwks.json`,
      fetcher: new HttpJwksFetcher(),
    });
    const identity = await verifier.verify(signJwt(key, idClaims({ iss: baseUrl })));
    expect(identity.userId).toBe('user-123');
  });

  it('turns an HTTP error into IdentityProviderUnavailableError', async () => {
    status = 503;
    await expect(new HttpJwksFetcher().fetch(`${baseUrl}/.well-known/jwks.json`)).rejects.toThrow(
      IdentityProviderUnavailableError,
    );
  });
});
