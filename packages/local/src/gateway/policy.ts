/**
 * Evaluation of a Lambda authorizer's IAM policy against the `methodArn`, as API Gateway does:
 * an explicit Deny wins, otherwise some Allow statement must cover the action
 * `execute-api:Invoke` and the resource. `*` and `?` are IAM wildcards.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */

export type AuthorizerOutcome =
  | {
      readonly kind: 'allow';
      readonly principalId: string;
      /** Context values as the integration receives them (strings, numbers and booleans stringified). */
      readonly context: Record<string, string>;
    }
  | { readonly kind: 'deny'; readonly principalId: string }
  | { readonly kind: 'invalid'; readonly reason: string };

const INVOKE_ACTION = 'execute-api:Invoke';

function wildcardToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`);
}

/** IAM matches actions case-insensitively and resources case-sensitively. */
function covers(patterns: unknown, value: string, caseInsensitive: boolean): boolean {
  const list = Array.isArray(patterns) ? patterns : [patterns];
  return list.some((p) => {
    if (typeof p !== 'string') return false;
    return caseInsensitive
      ? wildcardToRegExp(p.toLowerCase()).test(value.toLowerCase())
      : wildcardToRegExp(p).test(value);
  });
}

export function evaluateAuthorizerResult(result: unknown, methodArn: string): AuthorizerOutcome {
  if (typeof result !== 'object' || result === null)
    return { kind: 'invalid', reason: 'result is not an object' };
  const r = result as Record<string, unknown>;
  if (typeof r.principalId !== 'string') return { kind: 'invalid', reason: 'principalId is not a string' };
  const doc = r.policyDocument;
  if (typeof doc !== 'object' || doc === null)
    return { kind: 'invalid', reason: 'policyDocument is missing' };
  const rawStatements = (doc as Record<string, unknown>).Statement;
  const statements = Array.isArray(rawStatements) ? rawStatements : [rawStatements];

  // API Gateway refuses an authorizer context holding objects or arrays (500, AuthorizerConfigurationException).
  const context: Record<string, string> = {};
  if (r.context !== undefined && r.context !== null) {
    if (typeof r.context !== 'object') return { kind: 'invalid', reason: 'context is not an object' };
    for (const [key, value] of Object.entries(r.context)) {
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        return { kind: 'invalid', reason: `context.${key} is not a string, number or boolean` };
      }
      context[key] = String(value);
    }
  }

  let allowed = false;
  for (const s of statements) {
    if (typeof s !== 'object' || s === null)
      return { kind: 'invalid', reason: 'a Statement is not an object' };
    const st = s as Record<string, unknown>;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny')
      return { kind: 'invalid', reason: 'Effect is not Allow/Deny' };
    const applies = covers(st.Action, INVOKE_ACTION, true) && covers(st.Resource, methodArn, false);
    if (!applies) continue;
    if (st.Effect === 'Deny') return { kind: 'deny', principalId: r.principalId };
    allowed = true;
  }
  return allowed
    ? { kind: 'allow', principalId: r.principalId, context }
    : { kind: 'deny', principalId: r.principalId };
}
