import { generateKeyPairSync, sign } from 'node:crypto';
import { issueToken } from '../../../packages/local/tests/support.ts';

// Credentials for the authorization matrix (tests/hardening/authorization.test.ts): the dev
// users' real tokens and every kind of bad one. Signing is done with node:crypto (RS256 is
// RSASSA-PKCS1-v1_5 over SHA-256), so a forged token is built exactly as an attacker would.

/** Callers that hold a valid token, seen from a resource that belongs to alice. */
export const CALLERS = ['otherUser', 'rightUser', 'admin'] as const;
export type Caller = (typeof CALLERS)[number];

/** Credentials that must never get past the gateway. */
export const UNAUTHENTICATED = ['none', 'forged', 'tampered', 'algNone', 'expired', 'wrongAudience'] as const;
export type Unauthenticated = (typeof UNAUTHENTICATED)[number];

/** Every column of the matrix: bad credentials first, so a success never runs before a refusal. */
export const TOKEN_KINDS = [...UNAUTHENTICATED, ...CALLERS] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** The dev user behind each valid kind (`rightUser` owns the resources the matrix targets). */
export const USER_OF: Readonly<Record<Caller, 'alice' | 'bob' | 'admin'>> = {
  otherUser: 'bob',
  rightUser: 'alice',
  admin: 'admin',
};

export interface MatrixTokens {
  /** The bearer token of a kind; `undefined` for `none`. */
  readonly token: Readonly<Record<TokenKind, string | undefined>>;
  /** Cognito `sub` of alice, bob and admin (read from their own tokens). */
  readonly sub: Readonly<Record<'alice' | 'bob' | 'admin', string>>;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The decoded header and payload of a JWT (no verification: only to copy claims). */
export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}

/**
 * Issues every kind of token once:
 * - `forged`: alice's claims plus the `admins` group, a fresh expiry and the identity provider's
 *   `kid`, signed with a key the identity provider never published;
 * - `tampered`: alice's real token with its payload swapped for one claiming the `admins` group
 *   (header and signature kept);
 * - `algNone`: alice's claims with `alg: none` and no signature;
 * - `expired` / `wrongAudience`: real signatures from the identity provider, expired a minute
 *   ago / issued for another app client.
 */
export async function issueMatrixTokens(): Promise<MatrixTokens> {
  const [alice, bob, admin, expired, wrongAudience] = await Promise.all([
    issueToken('alice'),
    issueToken('bob'),
    issueToken('admin'),
    issueToken('alice', { expiresIn: -60 }),
    issueToken('alice', { audience: 'some-other-app-client' }),
  ]);
  const real = decodeJwt(alice);
  const now = Math.floor(Date.now() / 1000);
  const escalated = { ...real.payload, 'cognito:groups': ['admins'], iat: now, exp: now + 600 };

  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const forgedInput = `${b64url(real.header)}.${b64url(escalated)}`;
  const forged = `${forgedInput}.${sign('sha256', Buffer.from(forgedInput), privateKey).toString('base64url')}`;

  const [header, , signature] = alice.split('.');
  const tampered = `${header}.${b64url(escalated)}.${signature}`;
  const algNone = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(escalated)}.`;

  const subOf = (token: string) => String(decodeJwt(token).payload.sub);
  return {
    token: {
      none: undefined,
      forged,
      tampered,
      algNone,
      expired,
      wrongAudience,
      otherUser: bob,
      rightUser: alice,
      admin,
    },
    sub: { alice: subOf(alice), bob: subOf(bob), admin: subOf(admin) },
  };
}
