/**
 * Who a request or a connection belongs to, from Cognito's claims.
 *
 * @example
 * const caller: Identity = { userId: 'u-1', username: 'ada', groups: ['analysts'] };
 */
export interface Identity {
  /** Cognito `sub`: stable, never reused. The key everything a user owns is filed under. */
  readonly userId: string;
  /** Cognito user name (`cognito:username` on ID tokens, `username` on access tokens). */
  readonly username: string;
  /** Cognito groups (`cognito:groups`); empty when the user is in none. */
  readonly groups: readonly string[];
}

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

/**
 * A non-blank string claim, or `undefined`.
 *
 * @example
 * nonEmptyString(' '); // undefined
 */
export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * The identity in a set of Cognito claims (a verified JWT payload, or API Gateway's
 * `requestContext.authorizer.claims`). `undefined` when `sub` or the user name is missing:
 * Cognito's ID and access tokens always carry both, so anything else is refused.
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
