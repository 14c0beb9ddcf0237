import { evaluateCondition, type RequestContext } from './conditions.ts';
import { actionMatches, arnMatches } from './match.ts';
import type { Statement } from './policy.ts';

/**
 * IAM's evaluation of identity-based policies for one request (one action on one resource):
 * an explicit `Deny` that applies wins; otherwise an `Allow` that applies grants; otherwise the
 * request is implicitly denied. Resource policies, permissions boundaries, session policies and
 * SCPs are not part of it (the template gives functions none of them; `template-policies.ts`
 * reports a role that has a boundary).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 *
 * A statement that cannot be decided locally (an unknown condition key or operator, an
 * unresolved resource, a policy variable) is treated to fail closed: an undecided `Allow` does
 * not grant, an undecided `Deny` denies. AWS would decide it; locally the refusal names why.
 */

/** One IAM authorization: an action (`s3:GetObject`) on a resource ARN. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
}

export type Decision =
  | {
      readonly effect: 'allow';
      readonly statement: Statement;
      /** The statement's `Action` pattern that covered the action (`NotAction` for one that uses it). */
      readonly actionPattern: string;
      /** The statement's `Resource` pattern that covered the resource (`NotResource` likewise). */
      readonly resourcePattern: string;
    }
  | { readonly effect: 'explicit-deny'; readonly statement: Statement; readonly undecided?: string }
  | {
      readonly effect: 'implicit-deny';
      /** Allow statements that matched action and resource but could not be decided. */
      readonly undecided: readonly { readonly statement: Statement; readonly reason: string }[];
    };

type Applies =
  | { readonly applies: false }
  | { readonly applies: true; readonly actionPattern: string; readonly resourcePattern: string }
  | { readonly applies: 'undecided'; readonly reason: string };

const NOT_ACTION = 'NotAction';
const NOT_RESOURCE = 'NotResource';

function appliesTo(statement: Statement, request: IamRequest, context: RequestContext): Applies {
  let actionPattern: string | undefined;
  if (statement.actions) actionPattern = statement.actions.find((p) => actionMatches(p, request.action));
  else if (statement.notActions && !statement.notActions.some((p) => actionMatches(p, request.action)))
    actionPattern = NOT_ACTION;
  if (actionPattern === undefined) return { applies: false };
  if (statement.problems.length > 0) return { applies: 'undecided', reason: statement.problems.join('; ') };
  let resourcePattern: string | undefined;
  if (statement.resources) resourcePattern = statement.resources.find((p) => arnMatches(p, request.resource));
  else if (statement.notResources && !statement.notResources.some((p) => arnMatches(p, request.resource)))
    resourcePattern = NOT_RESOURCE;
  if (resourcePattern === undefined) return { applies: false };
  if (statement.condition) {
    const outcome = evaluateCondition(statement.condition, context);
    if ('undecided' in outcome) return { applies: 'undecided', reason: outcome.undecided };
    if (!outcome.met) return { applies: false };
  }
  return { applies: true, actionPattern, resourcePattern };
}

/**
 * Evaluates one request against a principal's statements.
 *
 * @example
 * const statements = parsePolicyDocument({ Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/uploads/*' }] }, 'P');
 * evaluate(statements, { action: 's3:GetObject', resource: 'arn:aws:s3:::b/uploads/x.csv' }).effect; // 'allow'
 * evaluate(statements, { action: 's3:PutObject', resource: 'arn:aws:s3:::b/uploads/x.csv' }).effect; // 'implicit-deny'
 */
export function evaluate(
  statements: readonly Statement[],
  request: IamRequest,
  context: RequestContext = {},
): Decision {
  let allow: Extract<Decision, { effect: 'allow' }> | undefined;
  const undecided: { statement: Statement; reason: string }[] = [];
  for (const statement of statements) {
    const outcome = appliesTo(statement, request, context);
    if (outcome.applies === false) continue;
    if (statement.effect === 'Deny') {
      return outcome.applies === true
        ? { effect: 'explicit-deny', statement }
        : { effect: 'explicit-deny', statement, undecided: outcome.reason };
    }
    if (outcome.applies === true)
      allow ??= {
        effect: 'allow',
        statement,
        actionPattern: outcome.actionPattern,
        resourcePattern: outcome.resourcePattern,
      };
    else undecided.push({ statement, reason: outcome.reason });
  }
  return allow ?? { effect: 'implicit-deny', undecided };
}
