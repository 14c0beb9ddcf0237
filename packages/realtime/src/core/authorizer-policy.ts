import type { Identity } from '@herald/runtime';
import { type AuthorizerContext, toAuthorizerContext } from './identity.ts';

/** A Lambda REQUEST authorizer's answer, as API Gateway expects it. */
export interface AuthorizerPolicy {
  readonly principalId: string;
  readonly policyDocument: {
    readonly Version: '2012-10-17';
    // Mutable array: aws-lambda's APIGatewayAuthorizerResult types Statement as `Statement[]`.
    readonly Statement: {
      readonly Action: 'execute-api:Invoke';
      readonly Effect: 'Allow';
      readonly Resource: string;
    }[];
  };
  readonly context: AuthorizerContext;
}

/**
 * Allows exactly the `$connect` method that was asked for, for the verified user.
 * Refusals are not policies: the authorizer throws `Unauthorized`, which API Gateway maps to 401.
 *
 * @example
 * allowConnect(event.methodArn, identity).principalId === identity.userId;
 */
export function allowConnect(methodArn: string, identity: Identity): AuthorizerPolicy {
  return {
    principalId: identity.userId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }],
    },
    context: toAuthorizerContext(identity),
  };
}
