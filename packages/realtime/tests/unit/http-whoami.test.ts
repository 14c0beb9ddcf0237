import { describe, expect, it } from 'vitest';
import { makeHttpWhoamiHandler } from '../../src/handlers/http-whoami.ts';
import { fakeDeps } from '../fakes/fake-deps.ts';

const event = (claims: Record<string, unknown> | null | undefined) => ({
  requestContext: { requestId: 'req-5', authorizer: claims === undefined ? null : { claims } },
});

describe('http-whoami handler', () => {
  it('returns the user from the Cognito claims API Gateway passes as strings', async () => {
    const handler = makeHttpWhoamiHandler(fakeDeps().provide);
    const response = await handler(
      event({
        sub: 'u-1',
        'cognito:username': 'ada',
        'cognito:groups': '[admins analysts]',
        email: 'a@x.org',
      }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.body)).toEqual({
      userId: 'u-1',
      username: 'ada',
      groups: ['admins', 'analysts'],
    });
  });

  it('answers 401 with an UNAUTHENTICATED envelope when claims are missing', async () => {
    const f = fakeDeps();
    const handler = makeHttpWhoamiHandler(f.provide);
    for (const claims of [undefined, null, { 'cognito:username': 'ada' }]) {
      const response = await handler(event(claims));
      expect(response.statusCode).toBe(401);
      expect(JSON.parse(response.body)).toEqual({
        code: 'UNAUTHENTICATED',
        message: 'You need to sign in first.',
      });
    }
    expect(f.logs.entries).toHaveLength(3);
  });
});
