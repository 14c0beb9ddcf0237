import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { errorEnvelope } from '@herald/protocol';
import {
  type CryptoKey,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';

/** A dev user of the local identity provider. `sub` is stable so data survives restarts. */
export interface DevUser {
  readonly username: string;
  readonly sub: string;
  readonly email: string;
  readonly groups: readonly string[];
}

export const DEV_USERS: readonly DevUser[] = [
  {
    username: 'alice',
    sub: '6f1c1f9e-3b1a-4c55-9d0e-a11ce0000001',
    email: 'alice@example.test',
    groups: ['analysts'],
  },
  {
    username: 'bob',
    sub: '6f1c1f9e-3b1a-4c55-9d0e-b0b000000002',
    email: 'bob@example.test',
    groups: ['analysts'],
  },
  {
    username: 'admin',
    sub: '6f1c1f9e-3b1a-4c55-9d0e-ad0000000003',
    email: 'admin@example.test',
    groups: ['admins'],
  },
];

export interface IssueTokenOptions {
  /** Lifetime in seconds (default 3600, Cognito's default ID-token lifetime). Negative = already expired. */
  readonly expiresIn?: number;
  /** Override the audience (app client id), e.g. to test wrong-audience refusal. */
  readonly audience?: string;
}

export interface IdentityProvider {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly clientId: string;
  readonly users: readonly DevUser[];
  issueToken(username: string, options?: IssueTokenOptions): Promise<string>;
  /** The Cognito user-pool authorizer's check: signature, issuer, audience, expiry, `token_use: id`. */
  verify(token: string): Promise<Record<string, unknown> | undefined>;
  close(): Promise<void>;
}

export interface IdentityProviderOptions {
  readonly clientId?: string;
  /** Where the signing key is kept so tokens survive a restart; omit for an in-memory key. */
  readonly keyFile?: string;
}

const KEY_ID = 'herald-local-1';

async function loadOrCreateKey(
  keyFile: string | undefined,
): Promise<{ privateKey: CryptoKey; publicJwk: JWK }> {
  if (keyFile && existsSync(keyFile)) {
    const jwk = JSON.parse(readFileSync(keyFile, 'utf8')) as JWK;
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
    return { privateKey: (await importJWK(jwk, 'RS256')) as CryptoKey, publicJwk };
  }
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  if (keyFile) {
    mkdirSync(dirname(keyFile), { recursive: true });
    writeFileSync(keyFile, JSON.stringify(await exportJWK(privateKey)), { mode: 0o600 });
  }
  return { privateKey, publicJwk: await exportJWK(publicKey) };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'access-control-allow-origin': '*',
    'access-control-allow-headers': 'content-type',
    'cache-control': 'no-store',
  });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage, limit = 16 * 1024): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
}

/**
 * A local stand-in for a Cognito user pool: RS256 keys, a JWKS endpoint and Cognito-shaped ID
 * tokens for the dev users. `POST /token {username, expiresIn?}` is the dev sign-in the demo page
 * and tests use; it exists only here, bound to loopback.
 */
export async function startIdentityProvider(
  options: IdentityProviderOptions = {},
): Promise<IdentityProvider> {
  const clientId = options.clientId ?? 'herald-local-client';
  const { privateKey, publicJwk } = await loadOrCreateKey(options.keyFile);
  const jwks: JSONWebKeySet = { keys: [{ ...publicJwk, kid: KEY_ID, alg: 'RS256', use: 'sig' }] };
  const keySet = createLocalJWKSet(jwks);
  let issuer = '';

  const issueToken = async (username: string, opts: IssueTokenOptions = {}): Promise<string> => {
    const user = DEV_USERS.find((u) => u.username === username);
    if (!user)
      throw new Error(
        `unknown dev user "${username}" (known: ${DEV_USERS.map((u) => u.username).join(', ')})`,
      );
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      'cognito:username': user.username,
      'cognito:groups': [...user.groups],
      email: user.email,
      email_verified: true,
      token_use: 'id',
      auth_time: now,
      event_id: randomUUID(),
    })
      .setProtectedHeader({ alg: 'RS256', kid: KEY_ID, typ: 'JWT' })
      .setSubject(user.sub)
      .setIssuer(issuer)
      .setAudience(opts.audience ?? clientId)
      .setIssuedAt(now)
      .setJti(randomUUID())
      .setExpirationTime(now + (opts.expiresIn ?? 3600))
      .sign(privateKey);
  };

  const verify = async (token: string): Promise<Record<string, unknown> | undefined> => {
    try {
      const { payload } = await jwtVerify(token, keySet, {
        issuer,
        audience: clientId,
        algorithms: ['RS256'],
      });
      return payload.token_use === 'id' ? payload : undefined;
    } catch {
      return undefined;
    }
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'OPTIONS') return json(res, 204, null);
    if (req.method === 'GET' && url.pathname === '/.well-known/jwks.json') return json(res, 200, jwks);
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        id_token_signing_alg_values_supported: ['RS256'],
      });
    }
    if (req.method === 'GET' && url.pathname === '/users') {
      return json(
        res,
        200,
        DEV_USERS.map(({ username, groups }) => ({ username, groups })),
      );
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      readJson(req)
        .then(async (body) => {
          const { username, expiresIn, audience } = (body ?? {}) as {
            username?: unknown;
            expiresIn?: unknown;
            audience?: unknown;
          };
          if (typeof username !== 'string' || !DEV_USERS.some((u) => u.username === username)) {
            return json(
              res,
              400,
              errorEnvelope(
                'BAD_REQUEST',
                `Unknown dev user; use one of: ${DEV_USERS.map((u) => u.username).join(', ')}.`,
              ),
            );
          }
          const lifetime = typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? expiresIn : 3600;
          // `audience` lets tests mint a wrong-audience token; this endpoint exists only locally.
          const idToken = await issueToken(username, {
            expiresIn: lifetime,
            ...(typeof audience === 'string' && { audience }),
          });
          json(res, 200, { idToken, tokenType: 'Bearer', expiresIn: lifetime });
        })
        .catch(() =>
          json(res, 400, errorEnvelope('BAD_REQUEST', 'The body must be JSON like {"username":"alice"}.')),
        );
      return;
    }
    json(
      res,
      404,
      errorEnvelope('ROUTE_NOT_FOUND', `No identity-provider route ${req.method} ${url.pathname}.`),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    clientId,
    users: DEV_USERS,
    issueToken,
    verify,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
