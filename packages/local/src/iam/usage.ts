import { createHash } from 'node:crypto';
import { actionMatches } from './match.ts';
import { statementLabel } from './policy.ts';
import type { FunctionRole } from './template-policies.ts';

/**
 * The IAM usage report: per function, every (action, resource) it used — the resource
 * generalised to the `Resource` pattern of the statement that allowed it, so object keys and
 * connection ids collapse into the grant they used — and every grant of its role nothing used
 * (statement × action pattern × resource pattern: the over-broad grants to trim); refused calls
 * with their reasons. Reports of runs of the same template merge (counts add up, a grant used in any run is used); a report of
 * another template is replaced.
 */

/** One (action, resource) a function used, and the statement that allowed it. */
export interface UsedGrant {
  readonly action: string;
  /** The allowing statement's resource pattern (`arn:aws:s3:::b/uploads/*`), not each object. */
  readonly resource: string;
  readonly statement: string;
  readonly calls: number;
  /** Set when the Lambda service, not the function's code, made the call with its role. */
  readonly by?: 'lambda-service';
}

/** A grant of a role that no call used. */
export interface UnusedGrant {
  readonly statement: string;
  readonly action: string;
  readonly resource: string;
}

export interface CallRecord {
  readonly function: string;
  readonly action: string;
  readonly resource: string;
  readonly reason: string;
  readonly calls: number;
}

export interface FunctionUsage {
  readonly role: string;
  readonly used: readonly UsedGrant[];
  readonly unused: readonly UnusedGrant[];
  readonly refused: number;
  /** What the role has that the local evaluation does not cover (managed policies, boundaries). */
  readonly notEvaluated?: readonly string[];
}

export interface UsageReport {
  readonly about: string;
  /** A hash of every function's statements: reports merge only across runs of the same policies. */
  readonly policies: string;
  readonly runs: number;
  /** Calls signed by a function and evaluated against its role. */
  readonly checkedCalls: number;
  readonly refusedCalls: number;
  readonly refused: readonly CallRecord[];
  readonly functions: Readonly<Record<string, FunctionUsage>>;
}

const ABOUT =
  'Written by the local stack (packages/local/src/iam) when a test stack stops: every call a function ' +
  'made with its role, evaluated against the policies of the synthesized template. `used` lists what each ' +
  'function used (resources as the allowing statement states them), `unused` the grants no call used ' +
  '(candidates to trim), `refused` the calls IAM would refuse. Runs of the same policies merge.';

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A stable hash of the roles' statements (what a merged report must agree on).
 *
 * @example
 * policiesHash(roles); // 'a1b2c3d4e5f60718'
 */
export function policiesHash(roles: ReadonlyMap<string, FunctionRole>): string {
  const hash = createHash('sha256');
  for (const role of [...roles.values()].sort((a, b) => byText(a.description, b.description)))
    hash.update(JSON.stringify([role.description, role.statements]));
  return hash.digest('hex').slice(0, 16);
}

/** Every grant of a role: each Allow statement's action patterns × resource patterns. */
function grantsOf(role: FunctionRole): UnusedGrant[] {
  const grants: UnusedGrant[] = [];
  for (const s of role.statements) {
    if (s.effect !== 'Allow') continue;
    const actions = s.actions ?? [`NotAction ${JSON.stringify(s.notActions)}`];
    const resources = s.resources ?? [`NotResource ${JSON.stringify(s.notResources)}`];
    for (const action of actions)
      for (const resource of resources) grants.push({ statement: statementLabel(s.ref), action, resource });
  }
  return grants;
}

function covers(grant: UnusedGrant, used: UsedGrant): boolean {
  if (used.statement !== grant.statement) return false;
  if (!grant.resource.startsWith('NotResource') && used.resource !== grant.resource) return false;
  return grant.action.startsWith('NotAction') || actionMatches(grant.action, used.action);
}

const usedKey = (u: UsedGrant) => `${u.statement}\n${u.action}\n${u.resource}\n${u.by ?? ''}`;
const callKey = (c: CallRecord) => `${c.function}\n${c.action}\n${c.resource}\n${c.reason}`;

function mergeBy<T>(key: (t: T) => string, add: (a: T, b: T) => T, ...lists: (readonly T[])[]): T[] {
  const merged = new Map<string, T>();
  for (const item of lists.flat()) {
    const k = key(item);
    const seen = merged.get(k);
    merged.set(k, seen === undefined ? item : add(seen, item));
  }
  return [...merged.values()];
}
const addCalls = <T extends { calls: number }>(a: T, b: T): T => ({ ...a, calls: a.calls + b.calls });

/** The tallies one stack gathered, before they become a report. */
export interface UsageTally {
  readonly checkedCalls: number;
  readonly used: ReadonlyMap<string, readonly UsedGrant[]>;
  readonly refused: readonly CallRecord[];
}

/**
 * The report of one run, merged into `previous` when that report is of the same policies.
 *
 * @example
 * const report = usageReport(roles, tally, existingReport);
 * report.functions['realtime/ws-connect']?.unused; // grants no call used
 */
export function usageReport(
  roles: ReadonlyMap<string, FunctionRole>,
  tally: UsageTally,
  previous?: UsageReport,
): UsageReport {
  const policies = policiesHash(roles);
  const base = previous?.policies === policies ? previous : undefined;
  const functions: Record<string, FunctionUsage> = {};
  const refused = mergeBy(callKey, addCalls, base?.refused ?? [], tally.refused);
  for (const role of [...roles.values()].sort((a, b) => byText(a.description, b.description))) {
    const used = mergeBy(
      usedKey,
      addCalls,
      base?.functions[role.description]?.used ?? [],
      tally.used.get(role.functionId) ?? [],
    ).sort((a, b) => byText(usedKey(a), usedKey(b)));
    const unused = grantsOf(role).filter((g) => !used.some((u) => covers(g, u)));
    functions[role.description] = {
      role: role.roleId,
      used,
      unused,
      refused: refused.filter((r) => r.function === role.description).reduce((n, r) => n + r.calls, 0),
      ...(role.notEvaluated.length > 0 && { notEvaluated: role.notEvaluated }),
    };
  }
  return {
    about: ABOUT,
    policies,
    runs: (base?.runs ?? 0) + 1,
    checkedCalls: (base?.checkedCalls ?? 0) + tally.checkedCalls,
    refusedCalls: refused.reduce((n, r) => n + r.calls, 0),
    refused: refused.sort((a, b) => byText(callKey(a), callKey(b))),
    functions,
  };
}
