import { createHmac, generateKeyPairSync, type JsonWebKey, type KeyObject, sign } from 'node:crypto';
import type { Fetcher } from 'aws-jwt-verify/https';

/** An RSA signing key with its public JWK, like a Cognito user pool's. */
export interface TestKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: JsonWebKey & { kid: string; alg: 'RS256'; use: 'sig' };
}

export function makeRsaKey(kid: string): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    kid,
    privateKey,
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' },
  };
}

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

/** Signs a JWT by hand (RS256 unless `header.alg` says otherwise and `signature` is given). */
export function signJwt(
  key: TestKey,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: key.kid, ...header }));
  const body = b64url(JSON.stringify(payload));
  const signature = sign('sha256', Buffer.from(`${head}.${body}`), key.privateKey);
  return `${head}.${body}.${b64url(signature)}`;
}

/** An unsigned `alg: none` token. */
export function unsignedJwt(kid: string, payload: Record<string, unknown>): string {
  return `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT', kid }))}.${b64url(JSON.stringify(payload))}.`;
}

/** The classic algorithm-confusion attack: HS256 keyed with the public key's bytes. */
export function hs256WithPublicKey(key: TestKey, payload: Record<string, unknown>): string {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: key.kid }));
  const body = b64url(JSON.stringify(payload));
  const mac = createHmac('sha256', JSON.stringify(key.publicJwk)).update(`${head}.${body}`).digest();
  return `${head}.${body}.${b64url(mac)}`;
}

/** A JWKS fetcher serving fixed keys from memory, recording which URIs it was asked for. */
export class StaticJwksFetcher implements Fetcher {
  readonly requested: string[] = [];
  readonly #keys: readonly TestKey[];

  constructor(keys: readonly TestKey[]) {
    this.#keys = keys;
  }

  async fetch(uri: string): Promise<ArrayBuffer> {
    this.requested.push(uri);
    const bytes = new TextEncoder().encode(JSON.stringify({ keys: this.#keys.map((key) => key.publicJwk) }));
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
}
