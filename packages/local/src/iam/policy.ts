/**
 * Identity-based policy statements, as IAM reads them from a policy document: `Effect`,
 * `Action` or `NotAction`, `Resource` or `NotResource`, `Condition`. Values are plain strings
 * here (the template's intrinsics are resolved before, by `template-policies.ts`). What this
 * reader cannot evaluate faithfully is kept on the statement as a `problem`, never dropped:
 * the evaluator then treats the statement as undecidable (see `evaluate.ts`).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
 */

/** Where a statement comes from: the policy's logical id (or `<role>.Policies[i]`) and its index. */
export interface StatementRef {
  readonly policy: string;
  readonly index: number;
  readonly sid?: string;
}

/** `Condition`: operator → condition key → the values it is tested against. */
export type ConditionBlock = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

export interface Statement {
  readonly ref: StatementRef;
  readonly effect: 'Allow' | 'Deny';
  /** `Action` patterns; undefined when the statement uses `NotAction`. */
  readonly actions?: readonly string[];
  readonly notActions?: readonly string[];
  /** `Resource` patterns; undefined when the statement uses `NotResource`. */
  readonly resources?: readonly string[];
  readonly notResources?: readonly string[];
  readonly condition?: ConditionBlock;
  /** Why this statement cannot be evaluated as AWS would (unresolved value, policy variable, …). */
  readonly problems: readonly string[];
}

/**
 * `Policy#2` (or `Policy#2 (Sid)`): how reports and refusals name a statement.
 *
 * @example
 * statementLabel({ policy: 'WorkerRoleDefaultPolicy1A2B', index: 5 }); // 'WorkerRoleDefaultPolicy1A2B#5'
 */
export function statementLabel(ref: StatementRef): string {
  return `${ref.policy}#${ref.index}${ref.sid ? ` (${ref.sid})` : ''}`;
}

const strings = (value: unknown): string[] | undefined => {
  if (value === undefined) return undefined;
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
};

/**
 * Reads one statement of a policy document whose values are already plain strings.
 * `problems` carries what the caller already knows is wrong with it (an unresolved reference).
 *
 * @example
 * const s = parseStatement(
 *   { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/t' },
 *   { policy: 'ConnectRoleDefaultPolicy', index: 1 },
 * );
 * s.actions; // ['dynamodb:PutItem']
 */
export function parseStatement(
  json: unknown,
  ref: StatementRef,
  problems: readonly string[] = [],
): Statement {
  const found = [...problems];
  const s = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const effect = s.Effect === 'Deny' ? 'Deny' : 'Allow';
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny')
    found.push(`Effect ${JSON.stringify(s.Effect)} is not Allow or Deny`);
  if (s.Principal !== undefined || s.NotPrincipal !== undefined)
    found.push('Principal/NotPrincipal has no meaning in an identity-based policy');
  const actions = strings(s.Action);
  const notActions = strings(s.NotAction);
  const resources = strings(s.Resource);
  const notResources = strings(s.NotResource);
  if ((actions === undefined) === (notActions === undefined))
    found.push('a statement needs exactly one of Action and NotAction');
  if ((resources === undefined) === (notResources === undefined))
    found.push('a statement needs exactly one of Resource and NotResource');
  for (const r of [...(resources ?? []), ...(notResources ?? [])])
    if (/\$\{[^}]*\}/.test(r)) found.push(`policy variable in ${r} is not substituted locally`);
  let condition: ConditionBlock | undefined;
  if (s.Condition !== undefined) {
    const block: Record<string, Record<string, readonly string[]>> = {};
    for (const [operator, tests] of Object.entries((s.Condition ?? {}) as Record<string, unknown>)) {
      block[operator] = {};
      for (const [key, values] of Object.entries((tests ?? {}) as Record<string, unknown>))
        (block[operator] as Record<string, readonly string[]>)[key] = strings(values) ?? [];
    }
    condition = block;
  }
  const sid = typeof s.Sid === 'string' && s.Sid !== '' ? s.Sid : undefined;
  return {
    ref: { ...ref, ...(sid !== undefined && { sid }) },
    effect,
    ...(actions !== undefined && { actions }),
    ...(notActions !== undefined && { notActions }),
    ...(resources !== undefined && { resources }),
    ...(notResources !== undefined && { notResources }),
    ...(condition !== undefined && { condition }),
    problems: found,
  };
}

/**
 * Every statement of a policy document (`Statement` may be one object or a list).
 *
 * @example
 * parsePolicyDocument({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }, 'P').length; // 1
 */
export function parsePolicyDocument(document: unknown, policy: string): Statement[] {
  const raw = (document as { Statement?: unknown } | undefined)?.Statement;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((json, index) => parseStatement(json, { policy, index }));
}
