import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../template/mapping.ts';
import type { Derived } from './actions.ts';
import type { SignedCaller } from './caller.ts';
import type { RequestContext } from './conditions.ts';
import { type Decision, evaluate, type IamRequest } from './evaluate.ts';
import { statementLabel } from './policy.ts';
import type { FunctionRole, ServiceUse } from './template-policies.ts';
import { type CallRecord, type UsageReport, type UsageTally, type UsedGrant, usageReport } from './usage.ts';

/**
 * IAM for the local stack: who signed a call, and whether that principal's policies allow it.
 *
 * - A key the stack gave a function (`ASIA<LOGICALID…>`, see `template/runner.ts`) or the
 *   function's session token (the Parameters and Secrets extension's
 *   `X-Aws-Parameters-Secrets-Token`) is that function's execution role: its calls are evaluated
 *   against the role's policies from the template, recorded, and refused when IAM would refuse.
 * - Every other key (`S3RVER`, `local`, the test clients' dummy keys, the stack's own admin
 *   clients) is THE ACCOUNT OWNER: allowed, as the root user of an account is, and not recorded.
 * - An unsigned call is anonymous: no policy of the template grants anonymous access, so it is
 *   refused (servers that answer unsigned calls themselves — DynamoDB's
 *   MissingAuthenticationToken, the `@connections` 403 — keep their own answer).
 *
 * Until {@link LocalIam.enforce} receives the roles, every caller is the owner (only the stack
 * itself calls then: tables, secrets, buckets being created).
 */

/** How a caller identifies itself: a signed request's access key, or a session token. */
export type Credential = Pick<SignedCaller, 'accessKeyId'> | { readonly sessionToken: string };

/** A refused call, with the message the service's error carries. */
export interface Refusal {
  readonly message: string;
}

/** What a local server asks before it serves a call (see {@link LocalIam}). */
export interface IamCheck {
  /** Undefined when the caller may make the call; the refusal otherwise (recorded). */
  authorize(credential: Credential | undefined, requests: Derived): Refusal | undefined;
  /** Whether a caller's calls are evaluated (a function's role); owners are not. */
  evaluates(credential: Credential | undefined): boolean;
}

/** Raised at start when the Lambda service could not create a function with its role. */
export class IamDeployError extends Error {
  override readonly name = 'IamDeployError';
}

type Principal =
  | { readonly kind: 'owner' }
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'function'; readonly role: FunctionRole };

const OWNER: Principal = { kind: 'owner' };
const ANONYMOUS: Principal = { kind: 'anonymous' };
/** Distinct refused (function, action, resource, reason) kept; beyond it calls are only counted. */
const MAX_DISTINCT_RECORDS = 500;

function denialText(decision: Exclude<Decision, { effect: 'allow' }>, action: string): string {
  if (decision.effect === 'explicit-deny') {
    const why = decision.undecided ? ` (undecided locally, taken as applying: ${decision.undecided})` : '';
    return `with an explicit deny in an identity-based policy (${statementLabel(decision.statement.ref)})${why}`;
  }
  const undecided = decision.undecided.map((u) => `${statementLabel(u.statement.ref)}: ${u.reason}`);
  return (
    `because no identity-based policy allows the ${action} action` +
    (undecided.length > 0 ? ` (undecided locally, not granted: ${undecided.join('; ')})` : '')
  );
}

/**
 * The local stack's IAM authority. Stateful (principals, tallies), no I/O.
 *
 * @example
 * const iam = new LocalIam();
 * iam.enforce(functionRoles(model, local));
 * iam.registerCredentials('RealtimeWsConnectFunctionA3D544FA', { accessKeyId: 'ASIAREALTIME…', sessionToken: '…' });
 * iam.authorize({ accessKeyId: 'ASIAREALTIME…' }, [{ action: 'dynamodb:PutItem', resource: tableArn }]); // undefined: allowed
 */
export class LocalIam implements IamCheck {
  #roles = new Map<string, FunctionRole>();
  readonly #byKey = new Map<string, string>();
  readonly #byToken = new Map<string, string>();
  readonly #now: () => Date;
  readonly #onRefused: ((call: Omit<CallRecord, 'calls'>) => void) | undefined;
  #checked = 0;
  readonly #used = new Map<string, Map<string, UsedGrant>>();
  readonly #refused = new Map<string, CallRecord>();

  constructor(
    options: {
      readonly now?: () => Date;
      /** Told about every refused call as it happens (the dev CLI prints them). */
      readonly onRefused?: (call: Omit<CallRecord, 'calls'>) => void;
    } = {},
  ) {
    this.#now = options.now ?? (() => new Date());
    this.#onRefused = options.onRefused;
  }

  /** Starts evaluating the functions' calls against these roles (by function logical id). */
  enforce(roles: ReadonlyMap<string, FunctionRole>): void {
    this.#roles = new Map(roles);
  }

  /** Binds a function's access key and session token to its role. */
  registerCredentials(
    functionId: string,
    credentials: { readonly accessKeyId: string; readonly sessionToken: string },
  ): void {
    this.#byKey.set(credentials.accessKeyId, functionId);
    this.#byToken.set(credentials.sessionToken, functionId);
  }

  #principal(credential: Credential | undefined): Principal {
    if (credential === undefined) return ANONYMOUS;
    const functionId =
      'accessKeyId' in credential
        ? this.#byKey.get(credential.accessKeyId)
        : this.#byToken.get(credential.sessionToken);
    const role = functionId === undefined ? undefined : this.#roles.get(functionId);
    if (role) return { kind: 'function', role };
    // An unknown session token is nobody's; an unknown access key is the account owner's.
    return 'sessionToken' in credential ? ANONYMOUS : OWNER;
  }

  evaluates(credential: Credential | undefined): boolean {
    return this.#principal(credential).kind === 'function';
  }

  /** The condition keys the local stack knows for a function's request (as AWS would set them). */
  #context(role: FunctionRole): RequestContext {
    const now = this.#now();
    return {
      // On AWS the functions' SDK clients and presigned URLs use HTTPS.
      'aws:SecureTransport': 'true',
      'aws:PrincipalAccount': LOCAL_ACCOUNT_ID,
      'aws:PrincipalArn': role.roleArn,
      'aws:PrincipalType': 'AssumedRole',
      'aws:RequestedRegion': LOCAL_REGION,
      'aws:CurrentTime': now.toISOString(),
      'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
    };
  }

  #tally(records: Map<string, CallRecord>, record: Omit<CallRecord, 'calls'>): void {
    const key = `${record.function}\n${record.action}\n${record.resource}\n${record.reason}`;
    const seen = records.get(key);
    if (seen) records.set(key, { ...seen, calls: seen.calls + 1 });
    else if (records.size < MAX_DISTINCT_RECORDS) records.set(key, { ...record, calls: 1 });
    else {
      const other = `${record.function}\n*\n*\nmore distinct calls than the report keeps`;
      const o = records.get(other);
      records.set(other, {
        function: record.function,
        action: '*',
        resource: '*',
        reason: 'more distinct calls than the report keeps',
        calls: (o?.calls ?? 0) + 1,
      });
    }
  }

  #refuse(call: Omit<CallRecord, 'calls'>): void {
    this.#tally(this.#refused, call);
    this.#onRefused?.(call);
  }

  #use(
    role: FunctionRole,
    decision: Extract<Decision, { effect: 'allow' }>,
    action: string,
    by?: 'lambda-service',
  ) {
    const grant: UsedGrant = {
      action,
      resource: decision.resourcePattern,
      statement: statementLabel(decision.statement.ref),
      calls: 1,
      ...(by && { by }),
    };
    const key = `${grant.statement}\n${grant.action}\n${grant.resource}\n${by ?? ''}`;
    const uses = this.#used.get(role.functionId) ?? new Map<string, UsedGrant>();
    this.#used.set(role.functionId, uses);
    const seen = uses.get(key);
    uses.set(key, seen ? { ...seen, calls: seen.calls + 1 } : grant);
  }

  /** Evaluates one request for a role; records it; returns the refusal message or undefined. */
  #decide(role: FunctionRole, request: IamRequest, by?: 'lambda-service'): string | undefined {
    this.#checked++;
    const decision = evaluate(role.statements, request, this.#context(role));
    if (decision.effect === 'allow') {
      this.#use(role, decision, request.action, by);
      return undefined;
    }
    const reason = denialText(decision, request.action);
    this.#refuse({
      function: role.description,
      action: request.action,
      resource: request.resource,
      reason,
    });
    return `User: ${role.principalArn} is not authorized to perform: ${request.action} on resource: ${request.resource} ${reason}`;
  }

  authorize(credential: Credential | undefined, requests: Derived): Refusal | undefined {
    const principal = this.#principal(credential);
    if (principal.kind === 'owner') return undefined;
    if (principal.kind === 'anonymous') {
      const first = 'unknown' in requests ? { action: '?', resource: requests.unknown } : requests[0];
      const reason = 'anonymous: the request is not signed';
      this.#refuse({
        function: 'anonymous',
        action: first?.action ?? '?',
        resource: first?.resource ?? '?',
        reason,
      });
      return {
        message: `Anonymous callers are not authorized to perform: ${first?.action} on resource: ${first?.resource}`,
      };
    }
    const { role } = principal;
    if ('unknown' in requests) {
      const reason = `the local IAM check does not know this call (${requests.unknown}); it refuses rather than guesses`;
      this.#checked++;
      this.#refuse({
        function: role.description,
        action: '?',
        resource: requests.unknown,
        reason,
      });
      return { message: `User: ${role.principalArn} is not authorized: ${reason}` };
    }
    // Every request of a call is evaluated (and recorded); the first refusal is the answer.
    let refusal: string | undefined;
    for (const request of requests) {
      const refused = this.#decide(role, request);
      refusal ??= refused;
    }
    return refusal === undefined ? undefined : { message: refusal };
  }

  /**
   * Evaluates what the Lambda service does with a function's role (`lambdaServiceUses`), as
   * the function's own calls. Throws {@link IamDeployError} for a refused deploy-time use (AWS
   * fails the deployment: event source mappings, VPC access, destinations); a refused run-time
   * use (logs, traces) is recorded as refused and returned.
   */
  checkServiceUses(functionId: string, uses: readonly ServiceUse[]): ServiceUse[] {
    const role = this.#roles.get(functionId);
    if (!role) return [];
    const refused: ServiceUse[] = [];
    for (const use of uses) {
      const message = this.#decide(role, use, 'lambda-service');
      if (message === undefined) continue;
      if (use.when === 'deploy')
        throw new IamDeployError(`${role.description}: the Lambda service ${use.why}, but ${message}`);
      refused.push(use);
    }
    return refused;
  }

  /** Every refused call so far (function, action, resource, why, how many times). */
  refused(): CallRecord[] {
    return [...this.#refused.values()];
  }

  /** The tallies of this stack, as the usage report takes them. */
  tally(): UsageTally {
    return {
      checkedCalls: this.#checked,
      used: new Map([...this.#used].map(([id, uses]) => [id, [...uses.values()]])),
      refused: this.refused(),
    };
  }

  /**
   * The usage report of this stack, merged into `previous` (see `usage.ts`).
   *
   * @example
   * const report = iam.report(JSON.parse(readFileSync(file, 'utf8')));
   */
  report(previous?: UsageReport): UsageReport {
    return usageReport(this.#roles, this.tally(), previous);
  }
}
