import { arnMatches, globMatch } from './match.ts';
import type { ConditionBlock } from './policy.ts';

/**
 * A statement's `Condition` block against the keys the local stack knows about a request.
 *
 * IAM evaluates every key AWS puts in a request's context; locally only some are known
 * (`RequestContext`). A condition on a key the local stack does not know, or with an operator it
 * does not implement (`ForAnyValue:`/`ForAllValues:` set operators, `IpAddress`, `Binary…`), is
 * UNDECIDED: it is never taken as true. The evaluator then refuses rather than grants (see
 * `evaluate.ts`), and the refusal names the condition, so a policy that relies on one shows up
 * instead of passing silently.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
 */

/**
 * Condition keys the local stack knows for one request, with their values (a single value or a
 * set). An empty list states that the key is known to be ABSENT from the request; a key not
 * listed at all is unknown.
 */
export type RequestContext = Readonly<Record<string, string | readonly string[]>>;

export type ConditionOutcome = { readonly met: boolean } | { readonly undecided: string };

type Test = (actual: string, expected: string) => boolean;

const num = (v: string) => (v.trim() === '' ? Number.NaN : Number(v));
const date = (v: string) => (/^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v));

/** Positive operators; `Not…` forms are their negation ("matches none of the values"). */
const OPERATORS: Readonly<Record<string, Test>> = {
  StringEquals: (a, e) => a === e,
  StringEqualsIgnoreCase: (a, e) => a.toLowerCase() === e.toLowerCase(),
  StringLike: (a, e) => globMatch(e, a),
  NumericEquals: (a, e) => num(a) === num(e),
  NumericLessThan: (a, e) => num(a) < num(e),
  NumericLessThanEquals: (a, e) => num(a) <= num(e),
  NumericGreaterThan: (a, e) => num(a) > num(e),
  NumericGreaterThanEquals: (a, e) => num(a) >= num(e),
  DateEquals: (a, e) => date(a) === date(e),
  DateLessThan: (a, e) => date(a) < date(e),
  DateLessThanEquals: (a, e) => date(a) <= date(e),
  DateGreaterThan: (a, e) => date(a) > date(e),
  DateGreaterThanEquals: (a, e) => date(a) >= date(e),
  Bool: (a, e) => a.toLowerCase() === e.toLowerCase(),
  // "ArnEquals and ArnLike behave identically" (both take wildcards, segment by segment).
  ArnEquals: (a, e) => arnMatches(e, a),
  ArnLike: (a, e) => arnMatches(e, a),
};
const NEGATED: Readonly<Record<string, string>> = {
  StringNotEquals: 'StringEquals',
  StringNotEqualsIgnoreCase: 'StringEqualsIgnoreCase',
  StringNotLike: 'StringLike',
  NumericNotEquals: 'NumericEquals',
  DateNotEquals: 'DateEquals',
  ArnNotEquals: 'ArnEquals',
  ArnNotLike: 'ArnLike',
};

/** One `operator: {key: values}` entry. */
function evaluateOperator(
  rawOperator: string,
  tests: Readonly<Record<string, readonly string[]>>,
  context: RequestContext,
): ConditionOutcome {
  if (rawOperator.includes(':')) return { undecided: `set operator ${rawOperator} is not evaluated locally` };
  const ifExists = rawOperator.endsWith('IfExists');
  const operator = ifExists ? rawOperator.slice(0, -'IfExists'.length) : rawOperator;
  for (const [key, expected] of Object.entries(tests)) {
    if (!Object.hasOwn(context, key))
      return {
        undecided: `condition key ${key} (${rawOperator}) is not known locally; AWS would evaluate it`,
      };
    const value = context[key] as string | readonly string[];
    const actuals = typeof value === 'string' ? [value] : value;
    if (operator === 'Null') {
      // `Null: true` holds when the key is absent from the request, `Null: false` when present.
      const wantsAbsent = expected.some((e) => e.toLowerCase() === 'true');
      if (wantsAbsent !== (actuals.length === 0)) return { met: false };
      continue;
    }
    const negatedOf = NEGATED[operator];
    const test = OPERATORS[negatedOf ?? operator];
    if (test === undefined)
      return { undecided: `condition operator ${rawOperator} is not evaluated locally` };
    // An absent key: `…IfExists` holds; otherwise nothing matches (so a `Not…` operator holds).
    if (actuals.length === 0 && ifExists) continue;
    const any = actuals.some((a) => expected.some((e) => test(a, e)));
    if (negatedOf ? any : !any) return { met: false };
  }
  return { met: true };
}

/**
 * Whether a `Condition` block holds: every operator, every key (AND), any of a key's values
 * (OR; for `Not…` operators, none of them). Undecided as soon as one test cannot be decided.
 *
 * @example
 * evaluateCondition({ Bool: { 'aws:SecureTransport': ['true'] } }, { 'aws:SecureTransport': 'true' }); // { met: true }
 * evaluateCondition({ StringEquals: { 's3:prefix': ['a/'] } }, {}); // { undecided: 'condition key s3:prefix …' }
 */
export function evaluateCondition(block: ConditionBlock, context: RequestContext): ConditionOutcome {
  let undecided: string | undefined;
  for (const [operator, tests] of Object.entries(block)) {
    const outcome = evaluateOperator(operator, tests, context);
    // A false test makes the whole block false, whatever else is undecided.
    if ('met' in outcome && !outcome.met) return outcome;
    if ('undecided' in outcome) undecided ??= outcome.undecided;
  }
  return undecided === undefined ? { met: true } : { undecided };
}
