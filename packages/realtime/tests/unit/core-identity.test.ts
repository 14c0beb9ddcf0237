import { describe, expect, it } from 'vitest';
import { allowConnect } from '../../src/core/authorizer-policy.ts';
import { identityFromAuthorizerContext } from '../../src/core/identity.ts';

describe('allowConnect and identityFromAuthorizerContext', () => {
  const identity = { userId: 'u-1', username: 'ada', groups: ['admins', 'analysts'] };
  const arn = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/$connect';

  it('allows exactly the requested method for the user, with string-only context', () => {
    const policy = allowConnect(arn, identity);
    expect(policy).toEqual({
      principalId: 'u-1',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: arn }],
      },
      context: { userId: 'u-1', username: 'ada', groups: 'admins,analysts' },
    });
    for (const value of Object.values(policy.context)) expect(typeof value).toBe('string');
  });

  it('round-trips the identity through the authorizer context', () => {
    expect(identityFromAuthorizerContext(allowConnect(arn, identity).context)).toEqual(identity);
    expect(
      identityFromAuthorizerContext(allowConnect(arn, { ...identity, groups: [] }).context)?.groups,
    ).toEqual([]);
  });

  it('is undefined without a userId', () => {
    expect(identityFromAuthorizerContext({ username: 'ada' })).toBeUndefined();
    expect(identityFromAuthorizerContext(undefined)).toBeUndefined();
  });
});
