import { type Identity, nonEmptyString, parseGroups } from '@herald/runtime';

/**
 * What the `$connect` authorizer hands on in `context`. API Gateway accepts only string,
 * number and boolean values there, so groups travel comma-joined.
 */
export interface AuthorizerContext {
  readonly userId: string;
  readonly username: string;
  readonly groups: string;
  readonly [key: string]: string;
}

/**
 * @example
 * toAuthorizerContext({ userId: 'u-1', username: 'ada', groups: ['a', 'b'] });
 * // { userId: 'u-1', username: 'ada', groups: 'a,b' }
 */
export function toAuthorizerContext(identity: Identity): AuthorizerContext {
  return { userId: identity.userId, username: identity.username, groups: identity.groups.join(',') };
}

/**
 * The identity the authorizer attached to a WebSocket event (`requestContext.authorizer`).
 * `undefined` when the route ran without the authorizer (a deployment mistake).
 */
export function identityFromAuthorizerContext(
  context: Readonly<Record<string, unknown>> | null | undefined,
): Identity | undefined {
  if (context == null) return undefined;
  const userId = nonEmptyString(context.userId);
  if (userId === undefined) return undefined;
  return {
    userId,
    username: nonEmptyString(context.username) ?? '',
    groups: parseGroups(context.groups),
  };
}
