/**
 * IAM's wildcard matching, as policies use it in `Action` and `Resource`: `*` matches any run of
 * characters (none included), `?` exactly one. Actions compare case-insensitively
 * (`s3:getobject` is `s3:GetObject`); ARNs compare case-sensitively, segment by segment for the
 * first five (`arn`, partition, service, region, account), so a `*` in the region never
 * swallows the account, and as one string for the resource part, where `*` also spans `/` and
 * `:` (`arn:aws:s3:::bucket/uploads/*` covers every key under `uploads/`).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 */

const compiled = new Map<string, RegExp>();

function regexOf(pattern: string, ignoreCase: boolean): RegExp {
  const cacheKey = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let re = compiled.get(cacheKey);
  if (re === undefined) {
    const body = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    re = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    // Policies are few and fixed for a stack's life; the cache stays small.
    compiled.set(cacheKey, re);
  }
  return re;
}

/**
 * Whether `value` matches an IAM wildcard pattern (`*`, `?`).
 *
 * @example
 * globMatch('uploads/*', 'uploads/a/b.csv'); // true
 * globMatch('s3:Get*', 's3:getobject', { ignoreCase: true }); // true
 */
export function globMatch(pattern: string, value: string, options: { ignoreCase?: boolean } = {}): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*') && !pattern.includes('?'))
    return options.ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  return regexOf(pattern, options.ignoreCase ?? false).test(value);
}

/**
 * Whether a policy's action pattern covers an action (`service:Name`, case-insensitive).
 *
 * @example
 * actionMatches('dynamodb:*', 'dynamodb:PutItem'); // true
 * actionMatches('dynamodb:Get*', 'dynamodb:PutItem'); // false
 */
export function actionMatches(pattern: string, action: string): boolean {
  return globMatch(pattern, action, { ignoreCase: true });
}

/** `arn:partition:service:region:account:resource` → the five head segments and the resource. */
function splitArn(arn: string): { head: string[]; resource: string } | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return { head: parts.slice(0, 5), resource: parts.slice(5).join(':') };
}

/**
 * Whether a policy's resource pattern covers an ARN.
 *
 * @example
 * arnMatches('arn:aws:s3:::herald-uploads/uploads/*', 'arn:aws:s3:::herald-uploads/uploads/u1/a.csv'); // true
 * arnMatches('arn:aws:dynamodb:*:*:table/t', 'arn:aws:dynamodb:us-east-1:000000000000:table/t'); // true
 * arnMatches('arn:aws:dynamodb:us-east-1:000000000000:table/t', 'arn:aws:dynamodb:us-east-1:000000000000:table/t/index/byUser'); // false
 */
export function arnMatches(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const p = splitArn(pattern);
  const a = splitArn(arn);
  if (p === undefined || a === undefined) return globMatch(pattern, arn);
  return (
    p.head.every((segment, i) => globMatch(segment, a.head[i] ?? '')) && globMatch(p.resource, a.resource)
  );
}
