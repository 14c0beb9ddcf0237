import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayResponseSpec } from '../gateway/responses.ts';
import { mentionedIds, referencedId } from './intrinsics.ts';

/**
 * The parts of a synthesized CloudFormation template (a CDK cloud assembly in `cdk.out`) that
 * the local stack runs: functions and their bundles, queues, event source mappings, S3
 * notifications, tables, the REST and WebSocket APIs, SNS subscriptions and secrets. Values stay
 * unresolved here (`Ref`, `Fn::Join`, …); `mapping.ts` resolves them to local names.
 */

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly DependsOn?: string | readonly string[];
  readonly [key: string]: unknown;
}

export interface CfnTemplate {
  readonly Resources: Readonly<Record<string, CfnResource>>;
  readonly Mappings?: Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, unknown>>>>>>;
  readonly [key: string]: unknown;
}

/** One `AWS::Lambda::Function` with its bundle on disk. */
export interface FunctionSpec {
  readonly id: string;
  /** The construct path (`HeraldDev/RealtimeWsConnect/Function/Resource`), when the template has it. */
  readonly path: string | undefined;
  readonly description: string;
  /** `index.handler`: file `index.mjs` (or `.js`) in `codeDir`, export `handler`. */
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
  /** Unresolved `Environment.Variables`. */
  readonly environment: Readonly<Record<string, unknown>>;
  /** The unzipped asset folder of the bundle. */
  readonly codeDir: string;
  readonly reservedConcurrency: number | undefined;
  /** Whether the AWS Parameters and Secrets Lambda Extension layer is attached. */
  readonly secretsExtension: boolean;
  /** Logical id of the execution role. */
  readonly roleId: string | undefined;
}

export interface QueueSpec {
  readonly id: string;
  readonly path: string | undefined;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number | undefined;
  readonly deadLetterQueueId: string | undefined;
}

export interface EventSourceSpec {
  readonly queueId: string;
  readonly functionId: string;
  readonly batchSize: number;
  readonly reportBatchItemFailures: boolean;
  readonly maxConcurrency: number | undefined;
}

export interface BucketNotificationSpec {
  readonly queueId: string;
  readonly events: readonly string[];
  readonly prefix: string;
  readonly suffix: string;
}

export interface CorsRuleSpec {
  readonly allowedOrigins: readonly string[];
  readonly allowedMethods: readonly string[];
  readonly allowedHeaders: readonly string[];
  readonly exposedHeaders: readonly string[];
  readonly maxAgeSeconds: number | undefined;
}

export interface BucketSpec {
  readonly id: string;
  readonly cors: readonly CorsRuleSpec[];
  /**
   * Days after which an incomplete multipart upload is aborted: the smallest
   * `AbortIncompleteMultipartUpload.DaysAfterInitiation` of the bucket's enabled lifecycle rules
   * without a filter; undefined when no rule says.
   */
  readonly abortIncompleteUploadsAfterDays: number | undefined;
  readonly notifications: readonly BucketNotificationSpec[];
}

export interface TableSpec {
  readonly id: string;
  /** The table's `Properties`: they are CreateTable's input shape (minus CFN-only keys). */
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface RestRouteSpec {
  readonly method: string;
  /** `/jobs/{id}`. */
  readonly path: string;
  readonly functionId: string;
  readonly authorization: string;
}

/** An `OPTIONS` mock method: the headers it answers with for an allowed origin. */
export interface PreflightSpec {
  readonly path: string;
  readonly allowedOrigins: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
}

export interface RestApiSpec {
  readonly id: string;
  readonly stageName: string;
  readonly routes: readonly RestRouteSpec[];
  readonly preflights: readonly PreflightSpec[];
  readonly gatewayResponses: readonly GatewayResponseSpec[];
}

export interface WebSocketApiSpec {
  readonly id: string;
  readonly stageName: string;
  readonly routeSelectionExpression: string;
  readonly routes: readonly { readonly routeKey: string; readonly functionId: string }[];
  readonly authorizerFunctionId: string | undefined;
}

export interface TopicSubscriptionSpec {
  readonly topicId: string;
  readonly topicPath: string | undefined;
  readonly functionId: string;
}

/** A custom resource whose provider framework calls one of our functions (the migrator). */
export interface CustomResourceSpec {
  readonly id: string;
  readonly type: string;
  readonly functionId: string;
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface StackModel {
  readonly stackName: string;
  readonly template: CfnTemplate;
  readonly functions: ReadonlyMap<string, FunctionSpec>;
  readonly queues: ReadonlyMap<string, QueueSpec>;
  readonly eventSources: readonly EventSourceSpec[];
  readonly buckets: ReadonlyMap<string, BucketSpec>;
  readonly tables: ReadonlyMap<string, TableSpec>;
  readonly restApi: RestApiSpec | undefined;
  readonly webSocketApi: WebSocketApiSpec | undefined;
  readonly subscriptions: readonly TopicSubscriptionSpec[];
  readonly customResources: readonly CustomResourceSpec[];
}

/** Raised when the cloud assembly lacks a stack, a template or a function's bundle. */
export class CloudAssemblyError extends Error {
  override readonly name = 'CloudAssemblyError';
}

const props = (r: CfnResource | undefined): Readonly<Record<string, unknown>> => r?.Properties ?? {};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number | undefined => (v === undefined ? undefined : Number(v));
/** `aws:cdk:path` metadata (the CLI adds it; the local synth asks for it too). */
const pathOf = (r: CfnResource | undefined): string | undefined => {
  const path = (r?.Metadata as Record<string, unknown> | undefined)?.['aws:cdk:path'];
  return typeof path === 'string' ? path : undefined;
};

/** `arn:…:lambda:path/2015-03-31/functions/<Fn::GetAtt F.Arn>/invocations` → `F`. */
function integrationFunction(uri: unknown): string | undefined {
  return mentionedIds(uri)[0];
}

/**
 * Reads one stack of a cloud assembly. Throws {@link CloudAssemblyError} naming the logical id
 * of a function whose bundle is missing.
 *
 * @example
 * const model = readStackModel('packages/infra/cdk.out', 'HeraldDev');
 * model.functions.get('RealtimeWsConnectFunctionA3D544FA')?.codeDir;
 */
export function readStackModel(assemblyDir: string, stackName: string): StackModel {
  const manifestFile = join(assemblyDir, 'manifest.json');
  if (!existsSync(manifestFile))
    throw new CloudAssemblyError(`no cloud assembly at ${assemblyDir} (run the CDK synth first)`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const artifact = manifest.artifacts?.[stackName];
  const templateFile = artifact?.properties?.templateFile;
  if (artifact?.type !== 'aws:cloudformation:stack' || templateFile === undefined)
    throw new CloudAssemblyError(`the cloud assembly at ${assemblyDir} has no stack ${stackName}`);
  const template = JSON.parse(readFileSync(join(assemblyDir, templateFile), 'utf8')) as CfnTemplate;
  const assets = readAssetDirs(assemblyDir, stackName);
  return modelOf(template, stackName, (id, key) => {
    const hash = key.replace(/\.zip$/, '');
    const dir = assets.get(hash);
    if (dir === undefined || !existsSync(dir))
      throw new CloudAssemblyError(
        `function ${id}: its bundle (asset ${hash}) is not in ${assemblyDir}; synthesize with bundling`,
      );
    return dir;
  });
}

/** Asset hash → folder, from `<stack>.assets.json`. */
function readAssetDirs(assemblyDir: string, stackName: string): Map<string, string> {
  const file = join(assemblyDir, `${stackName}.assets.json`);
  const dirs = new Map<string, string>();
  if (!existsSync(file)) return dirs;
  const assets = JSON.parse(readFileSync(file, 'utf8')) as {
    files?: Record<string, { source?: { path?: string; packaging?: string } }>;
  };
  for (const [hash, asset] of Object.entries(assets.files ?? {}))
    if (asset.source?.path !== undefined) dirs.set(hash, join(assemblyDir, asset.source.path));
  return dirs;
}

/** Builds the model from a parsed template; `codeDir` finds a function's bundle folder. */
export function modelOf(
  template: CfnTemplate,
  stackName: string,
  codeDir: (functionId: string, s3Key: string) => string,
): StackModel {
  const resources = Object.entries(template.Resources);
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
  const used = new Set<string>();

  const queues = new Map<string, QueueSpec>(
    ofType('AWS::SQS::Queue').map(([id, r]) => {
      const redrive = props(r).RedrivePolicy as
        | { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown }
        | undefined;
      return [
        id,
        {
          id,
          path: pathOf(r),
          visibilityTimeoutSeconds: num(props(r).VisibilityTimeout) ?? 30,
          maxReceiveCount: num(redrive?.maxReceiveCount),
          deadLetterQueueId: referencedId(redrive?.deadLetterTargetArn),
        },
      ];
    }),
  );

  const eventSources: EventSourceSpec[] = ofType('AWS::Lambda::EventSourceMapping').map(([id, r]) => {
    const p = props(r);
    const queueId = referencedId(p.EventSourceArn);
    const functionId = referencedId(p.FunctionName);
    if (queueId === undefined || functionId === undefined || !queues.has(queueId))
      throw new CloudAssemblyError(`event source mapping ${id}: only SQS queues of this stack are supported`);
    used.add(functionId);
    return {
      queueId,
      functionId,
      batchSize: num(p.BatchSize) ?? 10,
      reportBatchItemFailures: list(p.FunctionResponseTypes).includes('ReportBatchItemFailures'),
      maxConcurrency: num(
        (p.ScalingConfig as { MaximumConcurrency?: unknown } | undefined)?.MaximumConcurrency,
      ),
    };
  });

  const notificationsOf = new Map<string, BucketNotificationSpec[]>();
  for (const [, r] of ofType('Custom::S3BucketNotifications')) {
    const bucketId = referencedId(props(r).BucketName);
    const config = props(r).NotificationConfiguration as { QueueConfigurations?: unknown[] } | undefined;
    if (bucketId === undefined) continue;
    for (const q of list(config?.QueueConfigurations) as Record<string, unknown>[]) {
      const rules = list(
        (q.Filter as { Key?: { FilterRules?: unknown[] } } | undefined)?.Key?.FilterRules,
      ) as {
        Name: string;
        Value: string;
      }[];
      const rule = (name: string) => rules.find((f) => f.Name.toLowerCase() === name)?.Value ?? '';
      const queueId = referencedId(q.QueueArn);
      if (queueId === undefined) continue;
      const entry = {
        queueId,
        events: list(q.Events).map(str),
        prefix: rule('prefix'),
        suffix: rule('suffix'),
      };
      notificationsOf.set(bucketId, [...(notificationsOf.get(bucketId) ?? []), entry]);
    }
  }
  const buckets = new Map<string, BucketSpec>(
    ofType('AWS::S3::Bucket').map(([id, r]) => {
      const rules = list(
        (props(r).CorsConfiguration as { CorsRules?: unknown[] } | undefined)?.CorsRules,
      ) as Record<string, unknown>[];
      const cors = rules.map((c) => ({
        allowedOrigins: list(c.AllowedOrigins).map(str),
        allowedMethods: list(c.AllowedMethods).map(str),
        allowedHeaders: list(c.AllowedHeaders).map(str),
        exposedHeaders: list(c.ExposedHeaders).map(str),
        maxAgeSeconds: num(c.MaxAge),
      }));
      const lifecycle = list(
        (props(r).LifecycleConfiguration as { Rules?: unknown[] } | undefined)?.Rules,
      ) as Record<string, unknown>[];
      const abortDays = lifecycle
        .filter((rule) => rule.Status === 'Enabled' && rule.Prefix === undefined && rule.Filter === undefined)
        .map((rule) =>
          num(
            (rule.AbortIncompleteMultipartUpload as { DaysAfterInitiation?: unknown })?.DaysAfterInitiation,
          ),
        )
        .filter((days): days is number => days !== undefined);
      return [
        id,
        {
          id,
          cors,
          abortIncompleteUploadsAfterDays: abortDays.length > 0 ? Math.min(...abortDays) : undefined,
          notifications: notificationsOf.get(id) ?? [],
        },
      ];
    }),
  );

  const tables = new Map<string, TableSpec>(
    ofType('AWS::DynamoDB::Table').map(([id, r]) => [id, { id, properties: props(r) }]),
  );

  const restApi = readRestApi(template, ofType, used);
  const webSocketApi = readWebSocketApi(ofType, used);

  const subscriptions = ofType('AWS::SNS::Subscription')
    .filter(([, r]) => props(r).Protocol === 'lambda')
    .map(([id, r]) => {
      const topicId = referencedId(props(r).TopicArn);
      const functionId = referencedId(props(r).Endpoint);
      if (topicId === undefined || functionId === undefined)
        throw new CloudAssemblyError(`subscription ${id}: topic or function is not of this stack`);
      used.add(functionId);
      return { topicId, topicPath: pathOf(template.Resources[topicId]), functionId };
    });

  // Custom resources backed by a CDK provider framework: the framework function's
  // USER_ON_EVENT_FUNCTION_ARN names our function; the local stack calls it directly.
  const customResources: CustomResourceSpec[] = [];
  for (const [id, r] of resources) {
    if (!r.Type.startsWith('Custom::') || r.Type === 'Custom::S3BucketNotifications') continue;
    const framework = template.Resources[referencedId(props(r).ServiceToken) ?? ''];
    const env = (props(framework).Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables;
    const functionId = referencedId(env?.USER_ON_EVENT_FUNCTION_ARN);
    if (functionId === undefined) continue;
    used.add(functionId);
    customResources.push({ id, type: r.Type, functionId, properties: props(r) });
  }

  const functions = new Map<string, FunctionSpec>();
  for (const id of used) {
    const r = template.Resources[id];
    if (r?.Type !== 'AWS::Lambda::Function')
      throw new CloudAssemblyError(`${id} is wired as a function but is a ${r?.Type}`);
    const p = props(r);
    const code = p.Code as { S3Key?: unknown } | undefined;
    if (typeof code?.S3Key !== 'string')
      throw new CloudAssemblyError(`function ${id}: only asset bundles are supported`);
    functions.set(id, {
      id,
      path: pathOf(r),
      description: str(p.Description) || id,
      handler: str(p.Handler) || 'index.handler',
      runtime: str(p.Runtime),
      timeoutSeconds: num(p.Timeout) ?? 3,
      memoryMiB: num(p.MemorySize) ?? 128,
      environment: (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {},
      codeDir: codeDir(id, code.S3Key),
      reservedConcurrency: num(p.ReservedConcurrentExecutions),
      secretsExtension: list(p.Layers).some((l) => JSON.stringify(l).includes('Paramsandsecrets')),
      roleId: referencedId(p.Role),
    });
  }

  return {
    stackName,
    template,
    functions,
    queues,
    eventSources,
    buckets,
    tables,
    restApi,
    webSocketApi,
    subscriptions,
    customResources,
  };
}

type OfType = (type: string) => [string, CfnResource][];

function readRestApi(template: CfnTemplate, ofType: OfType, used: Set<string>): RestApiSpec | undefined {
  const apis = ofType('AWS::ApiGateway::RestApi');
  if (apis.length === 0) return undefined;
  if (apis.length > 1) throw new CloudAssemblyError('the local gateway serves one REST API per stack');
  const [apiId] = apis[0] as [string, CfnResource];
  const pathOf = (resourceRef: unknown): string => {
    const id = referencedId(resourceRef);
    if (id === apiId || id === undefined) return '/';
    const r = template.Resources[id];
    const parent = pathOf(props(r).ParentId);
    return `${parent === '/' ? '' : parent}/${str(props(r).PathPart)}`;
  };
  const routes: RestRouteSpec[] = [];
  const preflights: PreflightSpec[] = [];
  for (const [id, r] of ofType('AWS::ApiGateway::Method')) {
    const p = props(r);
    const integration = p.Integration as Record<string, unknown> | undefined;
    const path = pathOf(p.ResourceId);
    if (integration?.Type === 'MOCK' && p.HttpMethod === 'OPTIONS') {
      preflights.push(preflightOf(path, integration));
      continue;
    }
    if (integration?.Type !== 'AWS_PROXY')
      throw new CloudAssemblyError(`method ${id}: only Lambda proxy integrations are supported`);
    const functionId = integrationFunction(integration.Uri);
    if (functionId === undefined)
      throw new CloudAssemblyError(`method ${id}: no function in its integration`);
    used.add(functionId);
    routes.push({
      method: str(p.HttpMethod),
      path,
      functionId,
      authorization: str(p.AuthorizationType) || 'NONE',
    });
  }
  const stage = ofType('AWS::ApiGateway::Stage')[0];
  const gatewayResponses = ofType('AWS::ApiGateway::GatewayResponse').map(([, r]): GatewayResponseSpec => {
    const p = props(r);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries((p.ResponseParameters as Record<string, unknown>) ?? {}))
      headers[key.replace(/^gatewayresponse\.header\./, '')] = str(value);
    const templates = p.ResponseTemplates as Record<string, unknown> | undefined;
    return {
      type: str(p.ResponseType),
      ...(p.StatusCode === undefined ? {} : { statusCode: Number(p.StatusCode) }),
      headers,
      body: templates?.['application/json'] === undefined ? undefined : str(templates['application/json']),
    };
  });
  return { id: apiId, stageName: str(props(stage?.[1]).StageName), routes, preflights, gatewayResponses };
}

/**
 * The CORS preflight of a CDK `defaultCorsPreflightOptions` mock: its static headers, the first
 * origin as a static value, further origins in the response template's `$origin == "…"` tests.
 */
function preflightOf(path: string, integration: Record<string, unknown>): PreflightSpec {
  const response = list(integration.IntegrationResponses)[0] as Record<string, unknown> | undefined;
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries((response?.ResponseParameters as Record<string, unknown>) ?? {}))
    headers[key.replace(/^method\.response\.header\./, '')] = str(value).replace(/^'(.*)'$/s, '$1');
  const vtl = str((response?.ResponseTemplates as Record<string, unknown> | undefined)?.['application/json']);
  const others = [...vtl.matchAll(/\$origin == "([^"]+)"/g)].map((m) => String(m[1]));
  const first = headers['Access-Control-Allow-Origin'];
  const allowedOrigins = [...(first !== undefined ? [first] : []), ...others];
  return { path, allowedOrigins, headers };
}

function readWebSocketApi(ofType: OfType, used: Set<string>): WebSocketApiSpec | undefined {
  const apis = ofType('AWS::ApiGatewayV2::Api').filter(([, r]) => props(r).ProtocolType === 'WEBSOCKET');
  if (apis.length === 0) return undefined;
  if (apis.length > 1) throw new CloudAssemblyError('the local gateway serves one WebSocket API per stack');
  const [apiId, api] = apis[0] as [string, CfnResource];
  const integrations = new Map(ofType('AWS::ApiGatewayV2::Integration').map(([id, r]) => [id, props(r)]));
  const routes = ofType('AWS::ApiGatewayV2::Route').map(([id, r]) => {
    const integrationId = mentionedIds(props(r).Target)[0];
    const functionId = integrationFunction(integrations.get(integrationId ?? '')?.IntegrationUri);
    if (functionId === undefined)
      throw new CloudAssemblyError(`WebSocket route ${id}: no function behind it`);
    used.add(functionId);
    return { routeKey: str(props(r).RouteKey), functionId };
  });
  const authorizer = ofType('AWS::ApiGatewayV2::Authorizer')[0];
  const authorizerFunctionId = authorizer
    ? integrationFunction(props(authorizer[1]).AuthorizerUri)
    : undefined;
  if (authorizerFunctionId !== undefined) used.add(authorizerFunctionId);
  const stage = ofType('AWS::ApiGatewayV2::Stage')[0];
  return {
    id: apiId,
    stageName: str(props(stage?.[1]).StageName),
    routeSelectionExpression: str(props(api).RouteSelectionExpression),
    routes,
    authorizerFunctionId,
  };
}
