import { referencedId, resolveValue } from '../template/intrinsics.ts';
import {
  functionName,
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  type LocalEnvironment,
  localResolver,
  physicalName,
} from '../template/mapping.ts';
import type { CfnResource, FunctionSpec, StackModel } from '../template/model.ts';
import { parseStatement, type Statement } from './policy.ts';

/**
 * The identity policies of each function's execution role, as the template states them:
 * every `AWS::IAM::Policy` and `AWS::IAM::ManagedPolicy` whose `Roles` names the role, and the
 * role's inline `Policies`. `Resource`, `NotResource` and `Condition` values are resolved with
 * THE local mapping (`template/mapping.ts`), so the ARNs they state are the ARNs of the local
 * resources. What cannot be evaluated is reported, never skipped: AWS-managed policies attached
 * by ARN (their text is not in the template), a permissions boundary, a value the mapping cannot
 * resolve (that statement becomes undecidable).
 */

export interface FunctionRole {
  readonly functionId: string;
  /** `realtime/ws-connect`: how reports name the function. */
  readonly description: string;
  readonly roleId: string;
  /** `arn:aws:iam::<account>:role/<name>` (what `aws:PrincipalArn` holds). */
  readonly roleArn: string;
  /** The principal the function's requests run as (`arn:aws:sts::…:assumed-role/<role>/<function>`). */
  readonly principalArn: string;
  readonly statements: readonly Statement[];
  /** What this role has that is not evaluated locally. */
  readonly notEvaluated: readonly string[];
}

const refsOf = (value: unknown): string[] =>
  (Array.isArray(value) ? value : []).map(referencedId).filter((id): id is string => id !== undefined);

/** A policy document with its `Resource`/`NotResource`/`Condition` values resolved, statement by statement. */
function resolvedStatements(
  document: unknown,
  policy: string,
  resolve: (value: unknown, where: string) => unknown,
): Statement[] {
  const raw = (document as { Statement?: unknown } | undefined)?.Statement;
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((json, index) => {
    const problems: string[] = [];
    const s = { ...(json as Record<string, unknown>) };
    const where = `${policy}#${index}`;
    const attempt = (key: string, value: unknown) => {
      try {
        return resolve(value, `${where}.${key}`);
      } catch (error) {
        problems.push(`${key}: ${error instanceof Error ? error.message : String(error)}`);
        return value;
      }
    };
    for (const key of ['Resource', 'NotResource'] as const)
      if (s[key] !== undefined) s[key] = attempt(key, s[key]);
    if (s.Condition !== undefined) {
      const condition: Record<string, Record<string, unknown>> = {};
      for (const [operator, tests] of Object.entries(
        s.Condition as Record<string, Record<string, unknown>>,
      )) {
        condition[operator] = {};
        for (const [key, value] of Object.entries(tests))
          (condition[operator] as Record<string, unknown>)[key] = attempt(
            `Condition.${operator}.${key}`,
            value,
          );
      }
      s.Condition = condition;
    }
    return parseStatement(s, { policy, index }, problems);
  });
}

/**
 * The execution role of every function the local stack runs, by function logical id.
 *
 * @example
 * const roles = functionRoles(model, local);
 * roles.get('RealtimeWsConnectFunctionA3D544FA')?.statements.length; // 3
 */
export function functionRoles(model: StackModel, local: LocalEnvironment): Map<string, FunctionRole> {
  const { template } = model;
  const resolver = localResolver(template, local);
  const mappings = (template.Mappings ?? {}) as Parameters<typeof resolveValue>[3];
  const resolve = (value: unknown, where: string) => {
    // Lists of ARNs stay lists; a single intrinsic resolves to one string (or a list).
    if (Array.isArray(value))
      return value.flatMap((v, i) => resolveValue(v, resolver, `${where}[${i}]`, mappings));
    return resolveValue(value, resolver, where, mappings);
  };
  const resources = Object.entries(template.Resources);
  const roles = new Map<string, FunctionRole>();
  for (const fn of model.functions.values()) {
    const roleId = fn.roleId;
    const role = roleId === undefined ? undefined : template.Resources[roleId];
    if (roleId === undefined || role?.Type !== 'AWS::IAM::Role') {
      roles.set(fn.id, {
        functionId: fn.id,
        description: fn.description,
        roleId: roleId ?? '',
        roleArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/unknown`,
        principalArn: `arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/unknown/${functionName(model.stackName, fn.id)}`,
        statements: [],
        notEvaluated: [`the function's Role is not an AWS::IAM::Role of this template`],
      });
      continue;
    }
    const statements: Statement[] = [];
    const notEvaluated: string[] = [];
    const inline = (role.Properties?.Policies ?? []) as { PolicyName?: string; PolicyDocument?: unknown }[];
    inline.forEach((p, i) => {
      statements.push(...resolvedStatements(p.PolicyDocument, `${roleId}.Policies[${i}]`, resolve));
    });
    for (const [id, r] of resources) {
      if (r.Type !== 'AWS::IAM::Policy' && r.Type !== 'AWS::IAM::ManagedPolicy') continue;
      if (!refsOf(r.Properties?.Roles).includes(roleId)) continue;
      statements.push(...resolvedStatements(r.Properties?.PolicyDocument, id, resolve));
    }
    for (const managed of (role.Properties?.ManagedPolicyArns ?? []) as unknown[]) {
      const id = referencedId(managed);
      const policy = id === undefined ? undefined : template.Resources[id];
      if (policy?.Type === 'AWS::IAM::ManagedPolicy' && id !== undefined) {
        if (!refsOf(policy.Properties?.Roles).includes(roleId))
          statements.push(...resolvedStatements(policy.Properties?.PolicyDocument, id, resolve));
      } else
        notEvaluated.push(`managed policy ${JSON.stringify(managed)} (its document is not in the template)`);
    }
    if (role.Properties?.PermissionsBoundary !== undefined)
      notEvaluated.push(`permissions boundary ${JSON.stringify(role.Properties.PermissionsBoundary)}`);
    const roleName = physicalName.role(roleId, role, model.stackName);
    roles.set(fn.id, {
      functionId: fn.id,
      description: fn.description,
      roleId,
      roleArn: `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/${roleName}`,
      principalArn: `arn:aws:sts::${LOCAL_ACCOUNT_ID}:assumed-role/${roleName}/${functionName(model.stackName, fn.id)}`,
      statements,
      notEvaluated,
    });
  }
  return roles;
}

/**
 * The KMS key of each bucket whose default encryption is SSE-KMS, by physical bucket name.
 *
 * @example
 * bucketKmsKeys(model, local).get('heralddev-buckets-uploads'); // 'arn:aws:kms:us-east-1:000000000000:key/BucketsKeyCD6AF5CF'
 */
export function bucketKmsKeys(model: StackModel, local: LocalEnvironment): Map<string, string> {
  const resolver = localResolver(model.template, local);
  const keys = new Map<string, string>();
  for (const bucket of model.buckets.values()) {
    const resource = model.template.Resources[bucket.id] as CfnResource;
    const rules = ((
      resource.Properties?.BucketEncryption as { ServerSideEncryptionConfiguration?: unknown[] }
    )?.ServerSideEncryptionConfiguration ?? []) as {
      ServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: unknown };
    }[];
    const kms = rules.find((r) => r.ServerSideEncryptionByDefault?.SSEAlgorithm?.startsWith('aws:kms'));
    const keyId = kms?.ServerSideEncryptionByDefault?.KMSMasterKeyID;
    // Without a key of its own, S3 uses the account's `aws/s3` key (its key policy, not IAM, admits callers).
    if (keyId === undefined) continue;
    const name = physicalName.bucket(bucket.id, resource, model.stackName);
    const key = resolveValue(keyId, resolver, `bucket ${bucket.id} KMSMasterKeyID`);
    if (typeof key === 'string') keys.set(name, key);
  }
  return keys;
}

/**
 * A call the Lambda service makes with a function's execution role: at deploy time (it checks
 * the role when the function, its event source mapping or its destination is created, and the
 * deployment fails without it) or while the function runs (logs, traces: dropped without it).
 */
export interface ServiceUse {
  readonly action: string;
  readonly resource: string;
  readonly when: 'deploy' | 'invoke';
  readonly why: string;
}

const VPC_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];
const SQS_EVENT_SOURCE_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];

/** The action that delivers to a destination ARN (`arn:aws:sqs:…` → `sqs:SendMessage`). */
function destinationAction(destination: string): string | undefined {
  const service = destination.split(':')[2];
  return service === 'sqs'
    ? 'sqs:SendMessage'
    : service === 'sns'
      ? 'sns:Publish'
      : service === 'lambda'
        ? 'lambda:InvokeFunction'
        : service === 'events'
          ? 'events:PutEvents'
          : undefined;
}

/**
 * What the Lambda service does with a function's role, from the template: writing its logs
 * (`LoggingConfig.LogGroup`, else `/aws/lambda/<name>`), X-Ray traces (`TracingConfig: Active`),
 * network interfaces (`VpcConfig`), reading its SQS event sources, delivering failed
 * asynchronous invocations (`AWS::Lambda::EventInvokeConfig` destinations, `DeadLetterConfig`).
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html
 *
 * @example
 * lambdaServiceUses(fn, model, local).map((u) => u.action);
 * // ['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments', …]
 */
export function lambdaServiceUses(
  fn: FunctionSpec,
  model: StackModel,
  local: LocalEnvironment,
): ServiceUse[] {
  const { template } = model;
  const resolver = localResolver(template, local);
  const r = template.Resources[fn.id] as CfnResource;
  const p = r.Properties ?? {};
  const uses: ServiceUse[] = [];
  const logGroupId = referencedId((p.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup);
  const logGroup =
    logGroupId !== undefined && template.Resources[logGroupId]
      ? physicalName.logGroup(logGroupId, template.Resources[logGroupId] as CfnResource, model.stackName)
      : `/aws/lambda/${functionName(model.stackName, fn.id)}`;
  const stream = `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:log-group:${logGroup}:log-stream:local`;
  for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents'])
    uses.push({ action, resource: stream, when: 'invoke', why: 'writes the function log' });
  if ((p.TracingConfig as { Mode?: string } | undefined)?.Mode === 'Active')
    for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])
      uses.push({ action, resource: '*', when: 'invoke', why: 'sends X-Ray traces (TracingConfig Active)' });
  if (p.VpcConfig !== undefined)
    for (const action of VPC_ACTIONS)
      uses.push({
        action,
        resource: '*',
        when: 'deploy',
        why: 'manages the function’s VPC network interfaces',
      });
  for (const source of model.eventSources.filter((e) => e.functionId === fn.id)) {
    const queue = resolver.getAtt(source.queueId, 'Arn', `event source of ${fn.id}`);
    for (const action of SQS_EVENT_SOURCE_ACTIONS)
      uses.push({ action, resource: queue, when: 'deploy', why: 'polls its SQS event source' });
  }
  const destinations: unknown[] = [];
  for (const [, c] of Object.entries(template.Resources)) {
    if (c.Type !== 'AWS::Lambda::EventInvokeConfig' || referencedId(c.Properties?.FunctionName) !== fn.id)
      continue;
    const config = c.Properties?.DestinationConfig as
      | { OnFailure?: { Destination?: unknown }; OnSuccess?: { Destination?: unknown } }
      | undefined;
    destinations.push(config?.OnFailure?.Destination, config?.OnSuccess?.Destination);
  }
  destinations.push((p.DeadLetterConfig as { TargetArn?: unknown } | undefined)?.TargetArn);
  for (const destination of destinations) {
    if (destination === undefined) continue;
    const target = resolveValue(destination, resolver, `destination of ${fn.id}`);
    const action = typeof target === 'string' ? destinationAction(target) : undefined;
    if (typeof target === 'string' && action !== undefined)
      uses.push({
        action,
        resource: target,
        when: 'deploy',
        why: 'delivers failed asynchronous invocations',
      });
  }
  if (typeof p.KmsKeyArn === 'string' || typeof p.KmsKeyArn === 'object') {
    const key = resolveValue(p.KmsKeyArn, resolver, `KmsKeyArn of ${fn.id}`);
    if (typeof key === 'string')
      uses.push({ action: 'kms:Decrypt', resource: key, when: 'invoke', why: 'decrypts its environment' });
  }
  return uses;
}
