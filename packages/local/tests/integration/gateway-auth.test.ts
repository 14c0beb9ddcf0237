import { generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { DEV_USERS } from '../../src/index.ts';
import { issueToken, stack } from '../support.ts';

const alice = DEV_USERS.find((u) => u.username === 'alice');

async function getMe(authorization?: string) {
  const res = await fetch(`${stack().apiUrl}/me`, {
    headers: authorization ? { authorization } : {},
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A token with every right claim, signed by a key the identity provider never published. */
async function forgedToken(): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ token_use: 'id', 'cognito:username': 'alice', 'cognito:groups': ['admins'] })
    .setProtectedHeader({ alg: 'RS256', kid: 'herald-local-1' })
    .setSubject(alice?.sub ?? '')
    .setIssuer(stack().identity.issuer)
    .setAudience(stack().identity.clientId)
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(privateKey);
}

describe('local API Gateway: Cognito-authorized REST route', () => {
  it('passes the caller’s verified claims to the handler', async () => {
    const { status, body } = await getMe(`Bearer ${await issueToken('alice')}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ userId: alice?.sub, username: 'alice', groups: ['analysts'] });
  });

  it('tells two users apart', async () => {
    const { body } = await getMe(`Bearer ${await issueToken('admin')}`);
    expect(body).toMatchObject({ username: 'admin', groups: ['admins'] });
  });

  it.each([
    ['missing', async () => undefined],
    ['forged (other key)', async () => `Bearer ${await forgedToken()}`],
    ['expired', async () => `Bearer ${await issueToken('alice', { expiresIn: -60 })}`],
    ['wrong audience', async () => `Bearer ${await issueToken('alice', { audience: 'some-other-client' })}`],
    ['garbage', async () => 'Bearer not.a.jwt'],
  ])('refuses a %s token with 401 and the error envelope', async (_name, make) => {
    const { status, body } = await getMe(await make());
    expect(status).toBe(401);
    expect(body).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.any(String) });
  });

  it('answers an unknown route with 404 and the envelope', async () => {
    const res = await fetch(`${stack().apiUrl}/no-such-route`, {
      headers: { authorization: `Bearer ${await issueToken('alice')}` },
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });
});
