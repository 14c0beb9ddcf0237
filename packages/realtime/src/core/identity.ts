import type { Identity } from '../ports.ts';

/**
 * Cognito groups from a claim value, whatever shape it arrives in: a JSON array (a verified
 * JWT payload), or a string (API Gateway REST passes every claim as a string: `a,b`,
 * `[a b]` or `["a","b"]`). Unknown shapes give no groups: deny by default.
 *
 * @example
 * parseGroups('[admin analysts]'); // ['admin', 'analysts']
 * parseGroups('admin,analysts');   // ['admin', 'analysts']
 */
export function parseGroups(value: unknown): string[] {
  let items: unknown[];
  if (Array.isArray(value)) {
    items = value;
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (text.startsWith('[') && text.endsWith(']')) {
      const json = tryJsonArray(text);
      items = json ?? text.slice(1, -1).split(/[\s,]+/);
    } else {
      items = text.split(',');
    }
  } else {
    return [];
  }
  const groups = items.filter((item): item is string => typeof item === 'string').map((item) => item.trim());
  return [...new Set(groups.filter((group) => group !== ''))];
}

function tryJsonArray(text: string): unknown[] | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * The identity in a set of Cognito claims (a verified JWT payload, or API Gateway's
 * `requestContext.authorizer.claims`). `undefined` when `sub` or the user name is missing.
 *
 * @example
 * identityFromClaims({ sub: 'u-1', 'cognito:username': 'ada', 'cognito:groups': '[admin]' });
 * // { userId: 'u-1', username: 'ada', groups: ['admin'] }
 */
export function identityFromClaims(
  claims: Readonly<Record<string, unknown>> | null | undefined,
): Identity | undefined {
  if (claims == null) return undefined;
  const userId = nonEmptyString(claims.sub);
  // ID tokens name the user `cognito:username`, access tokens `username`.
  const username = nonEmptyString(claims['cognito:username']) ?? nonEmptyString(claims.username);
  if (userId === undefined || username === undefined) return undefined;
  return { userId, username, groups: parseGroups(claims['cognito:groups']) };
}

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
