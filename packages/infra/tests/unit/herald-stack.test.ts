import * as filesPackage from '@herald/files';
import * as ingest from '@herald/ingest';
import {
  ERROR_CODES,
  queueUrlVariable,
  RegisterDeviceRequestSchema,
  type RestRoute,
  ROUTES,
} from '@herald/protocol';
import * as realtime from '@herald/realtime';
import { createTableInput, TABLES, tableName } from '@herald/realtime/tables';
import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../lib/config.ts';
import { migrationsFingerprint } from '../../lib/constructs/migrations.ts';
import { MAX_MESSAGE_BYTES } from '../../lib/constructs/queue-worker.ts';
import { requestBodyModel } from '../../lib/constructs/rest-api.ts';
import { tableEnvVar } from '../../lib/constructs/tables.ts';
import { HANDLER_ACCESS, handlerKey, routeHandlers } from '../../lib/handlers.ts';
import { allStatements, grantsOf, logicalId } from './iam.ts';
import { type CfnResourceJson, flatten, resourcesOf, type Synthesized, synthesize } from './synth.ts';

const config = ENVIRONMENTS.dev;
let s: Synthesized;

beforeAll(() => {
  s = synthesize('dev');
}, 120_000);

const props = (r: CfnResourceJson) => r.Properties ?? {};
const ref = (id: string) => ({ Ref: id });
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

function fnId(key: string): string {
  const fn = s.stack.functions.get(key);
  if (!fn) throw new Error(`no function for ${key}`);
  return logicalId(fn.function);
}

function roleId(key: string): string {
  const fn = s.stack.functions.get(key);
  if (!fn) throw new Error(`no function for ${key}`);
  return logicalId(fn.role);
}

function resource(id: string): CfnResourceJson {
  const r = s.json.Resources[id];
  if (!r) throw new Error(`no resource ${id}`);
  return r;
}

/** `/jobs/{id}` of an AWS::ApiGateway::Resource, walking its parents. */
function resourcePath(id: string | undefined): string {
  if (id === undefined) return '';
  const r = resource(id);
  const parent = props(r).ParentId as { Ref?: string } | { 'Fn::GetAtt': string[] };
  const parentId = 'Ref' in parent ? parent.Ref : undefined;
  return `${resourcePath(parentId)}/${String(props(r).PathPart)}`;
}

function methodFor(method: string, path: string): CfnResourceJson {
  const found = resourcesOf(s.json, 'AWS::ApiGateway::Method').filter(([, m]) => {
    if (props(m).HttpMethod !== method) return false;
    const rid = props(m).ResourceId as { Ref?: string } | object;
    const actual = 'Ref' in rid ? resourcePath(rid.Ref) : '/';
    return actual === path;
  });
  expect(found, `${method} ${path}`).toHaveLength(1);
  return (found[0] as [string, CfnResourceJson])[1];
}

describe('network', () => {
  it('has egress (NAT) and isolated subnets, NAT gateways per config and REJECT flow logs', () => {
    const types = resourcesOf(s.json, 'AWS::EC2::Subnet').map(([, r]) =>
      (props(r).Tags as { Key: string; Value: string }[]).find((t) => t.Key === 'aws-cdk:subnet-type'),
    );
    expect(new Set(types.map((t) => t?.Value))).toEqual(new Set(['Public', 'Private', 'Isolated']));
    s.template.resourceCountIs('AWS::EC2::NatGateway', config.network.natGateways);
    s.template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT', ResourceType: 'VPC' });
  });

  it('has gateway endpoints for S3 and DynamoDB and private interface endpoints for Secrets Manager and SQS', () => {
    const endpoints = resourcesOf(s.json, 'AWS::EC2::VPCEndpoint').map(([, r]) => ({
      service: flatten(props(r).ServiceName)
        .replace(/^.*\.token\./, '')
        .replace(/^com\.amazonaws\./, ''),
      type: props(r).VpcEndpointType ?? 'Gateway',
      privateDns: props(r).PrivateDnsEnabled,
    }));
    expect(endpoints).toEqual(
      expect.arrayContaining([
        { service: 's3', type: 'Gateway', privateDns: undefined },
        { service: 'dynamodb', type: 'Gateway', privateDns: undefined },
        { service: 'secretsmanager', type: 'Interface', privateDns: true },
        { service: 'sqs', type: 'Interface', privateDns: true },
      ]),
    );
    expect(endpoints).toHaveLength(4);
  });

  it('admits PostgreSQL traffic only from the proxy, the rotation function and the database clients, and the proxy only from functions', () => {
    const { network } = s.stack;
    const proxy = network.proxy;
    const endpoints = network.endpoints;
    if (!proxy || !endpoints) throw new Error('the dev network has RDS Proxy and interface endpoints');
    const ingress = resourcesOf(s.json, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => ({
      to: (props(r).GroupId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0],
      from: (props(r).SourceSecurityGroupId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0],
      port: props(r).FromPort,
    }));
    const id = logicalId;
    const dbPort = { 'Fn::GetAtt': [id(s.stack.database.instance), 'Endpoint.Port'] };
    expect(ingress.filter((i) => i.to === id(network.database))).toEqual(
      expect.arrayContaining([
        { to: id(network.database), from: id(proxy), port: dbPort },
        { to: id(network.database), from: id(network.rotation), port: dbPort },
        { to: id(network.database), from: id(network.databaseClients), port: 5432 },
      ]),
    );
    expect(ingress.filter((i) => i.to === id(network.database))).toHaveLength(3);
    expect(ingress.filter((i) => i.to === id(proxy))).toEqual([
      { to: id(proxy), from: id(network.databaseClients), port: 5432 },
    ]);
    expect(ingress.filter((i) => i.to === id(endpoints)).map((i) => [i.from, i.port])).toEqual(
      expect.arrayContaining([
        [id(network.databaseClients), 443],
        [id(network.rotation), 443],
      ]),
    );
  });

  it('opens no security group to the internet', () => {
    for (const [, r] of resourcesOf(s.json, 'AWS::EC2::SecurityGroup')) {
      for (const rule of (props(r).SecurityGroupIngress as { CidrIp?: string }[] | undefined) ?? []) {
        expect(rule.CidrIp).not.toBe('0.0.0.0/0');
      }
    }
  });
});

describe('data', () => {
  it('runs encrypted PostgreSQL in the isolated subnets with TLS forced, behind a TLS-only RDS Proxy', () => {
    s.template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      StorageEncrypted: true,
      PubliclyAccessible: false,
      MultiAZ: config.database.multiAz,
      DeletionProtection: config.database.deletionProtection,
    });
    s.template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Parameters: Match.objectLike({ 'rds.force_ssl': '1' }),
    });
    s.template.hasResourceProperties('AWS::RDS::DBProxy', {
      EngineFamily: 'POSTGRESQL',
      RequireTLS: true,
      Auth: [Match.objectLike({ SecretArn: ref(logicalId(s.stack.database.secret)) })],
    });
    const subnetGroup = resourcesOf(s.json, 'AWS::RDS::DBSubnetGroup')[0]?.[1];
    const isolated = s.stack.network.vpc.isolatedSubnets.map((sub) => ref(logicalId(sub)));
    expect(props(subnetGroup as CfnResourceJson).SubnetIds).toEqual(isolated);
  });

  it('rotates the database credentials on a schedule', () => {
    s.template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: ref(logicalId(s.stack.database.secret)),
      RotationRules: { ScheduleExpression: `rate(${config.database.rotationDays} days)` },
    });
  });

  it.each(TABLES.map((def) => [def.id, def] as const))(
    'builds table %s from its TABLES definition: keys, GSIs, on-demand, PITR, TTL',
    (_id, def) => {
      const name = tableName(def, `${config.stackName.toLowerCase()}-`);
      const expected = createTableInput(def, name);
      const [, table] = resourcesOf(s.json, 'AWS::DynamoDB::Table').find(
        ([, r]) => props(r).TableName === name,
      ) as [string, CfnResourceJson];
      const p = props(table);
      expect(p.KeySchema).toEqual(expected.KeySchema);
      const sortByName = (a: { AttributeName?: string }, b: { AttributeName?: string }) =>
        String(a.AttributeName).localeCompare(String(b.AttributeName));
      expect([...(p.AttributeDefinitions as { AttributeName: string }[])].sort(sortByName)).toEqual(
        [...(expected.AttributeDefinitions ?? [])].sort(sortByName),
      );
      expect(p.GlobalSecondaryIndexes ?? []).toEqual(expected.GlobalSecondaryIndexes ?? []);
      expect(p.BillingMode).toBe('PAY_PER_REQUEST');
      expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(p.TimeToLiveSpecification).toEqual(
        def.ttlAttribute ? { AttributeName: def.ttlAttribute, Enabled: true } : undefined,
      );
    },
  );

  it('has exactly the tables TABLES defines', () => {
    s.template.resourceCountIs('AWS::DynamoDB::Table', TABLES.length);
  });

  it('encrypts both buckets with the rotated customer key, blocks public access and refuses plain HTTP', () => {
    const key = arnOf(logicalId(s.stack.buckets.key));
    s.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    for (const bucket of [s.stack.buckets.uploads, s.stack.buckets.files]) {
      const p = props(resource(logicalId(bucket)));
      expect(p.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key },
          },
        ],
      });
      expect(p.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: ref(logicalId(bucket)),
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('versions uploads (not the re-creatable files), archives uploads to Glacier then expires them', () => {
    const uploads = props(resource(logicalId(s.stack.buckets.uploads)));
    const files = props(resource(logicalId(s.stack.buckets.files)));
    expect(uploads.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(files.VersioningConfiguration).toBeUndefined();
    expect((uploads.LifecycleConfiguration as { Rules: unknown[] }).Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Status: 'Enabled',
          Transitions: [
            { StorageClass: 'GLACIER_IR', TransitionInDays: config.storage.uploadsToGlacierAfterDays },
          ],
          ExpirationInDays: config.storage.uploadsExpireAfterDays,
        }),
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
      ]),
    );
    expect((files.LifecycleConfiguration as { Rules: unknown[] }).Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ ExpirationInDays: config.storage.filesExpireAfterDays }),
      ]),
    );
  });

  it('lets the configured browser origins PUT uploads and read the ETag header', () => {
    expect(props(resource(logicalId(s.stack.buckets.uploads))).CorsConfiguration).toEqual({
      CorsRules: [
        {
          AllowedOrigins: [...config.allowedOrigins],
          AllowedMethods: ['PUT', 'POST'],
          AllowedHeaders: ['*'],
          ExposedHeaders: ['ETag'],
          MaxAge: 3000,
        },
      ],
    });
  });
});

describe('REST API', () => {
  const routes = Object.values<RestRoute>(ROUTES.http);

  it.each(routes.map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s invokes its handler behind the Cognito authorizer with request validation',
    (_name, route) => {
      const m = props(methodFor(route.method, route.path));
      const authorizerId = logicalId(s.stack.restApi.authorizer);
      expect(route.auth).toBe('cognito');
      expect(m.AuthorizationType).toBe('COGNITO_USER_POOLS');
      expect(m.AuthorizerId).toEqual(ref(authorizerId));
      expect(m.RequestValidatorId).toEqual(ref(expect.stringMatching(/Validator/)));
      const params = [...route.path.matchAll(/\{(\w+)\+?\}/g)].map((p) => `method.request.path.${p[1]}`);
      expect(Object.keys((m.RequestParameters as object | undefined) ?? {})).toEqual(params);
      const integration = m.Integration as { Type: string; Uri: unknown };
      expect(integration.Type).toBe('AWS_PROXY');
      expect(JSON.stringify(integration.Uri)).toContain(`"${fnId(handlerKey(route.handler))}"`);
    },
  );

  it('has a method for every route and no other (besides CORS preflights)', () => {
    const methods = resourcesOf(s.json, 'AWS::ApiGateway::Method').filter(
      ([, m]) => props(m).HttpMethod !== 'OPTIONS',
    );
    expect(methods).toHaveLength(routes.length);
  });

  it('uses the user pool for its authorizer', () => {
    s.template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'COGNITO_USER_POOLS',
      IdentitySource: 'method.request.header.Authorization',
      ProviderARNs: [arnOf(logicalId(s.stack.auth.userPool))],
    });
  });

  it.each(routes.filter((r) => r.request.body !== undefined).map((r) => [r.name, r] as const))(
    'validates the %s body against its contract’s request schema, named after its protocol export',
    (_name, route) => {
      const m = props(methodFor(route.method, route.path));
      const models = m.RequestModels as Record<string, { Ref: string }>;
      const model = props(resource(models['application/json']?.Ref as string));
      const body = requestBodyModel(route);
      expect(model.Schema).toEqual(body?.schema);
      expect(model.Description).toBe(
        `${route.method} ${route.path} body (${body?.exportName} in @herald/protocol)`,
      );
    },
  );

  it('has a body model for exactly the routes whose contract has a request body', () => {
    const withModels = routes.filter((r) => props(methodFor(r.method, r.path)).RequestModels !== undefined);
    expect(withModels.map((r) => r.name)).toEqual(
      routes.filter((r) => r.request.body !== undefined).map((r) => r.name),
    );
    expect(withModels.length).toBeGreaterThan(0);
  });

  it('validates device registration with the protocol schema itself', () => {
    const schema = RegisterDeviceRequestSchema.toJSONSchema({ target: 'draft-04' });
    // The same schema, without the descriptions that document it.
    const undocumented = JSON.parse(
      JSON.stringify(schema, (key, value) =>
        key === 'description' && typeof value === 'string' ? undefined : value,
      ),
    );
    expect(JSON.stringify(schema)).toContain('"description"');
    expect(requestBodyModel(ROUTES.http.registerDevice)).toEqual({
      exportName: 'RegisterDeviceRequestSchema',
      schema: undocumented,
    });
    expect(requestBodyModel(ROUTES.http.whoami)).toBeUndefined();
    const unexported = {
      ...ROUTES.http.registerDevice,
      request: { body: RegisterDeviceRequestSchema.strip() },
    };
    expect(() => requestBodyModel(unexported)).toThrow(/not an export of @herald\/protocol/);
  });

  it('throttles the stage, writes JSON access logs, traces, and logs execution errors without bodies', () => {
    s.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: config.api.stageName,
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: config.api.throttle.rateLimit,
          ThrottlingBurstLimit: config.api.throttle.burstLimit,
        }),
      ],
    });
  });

  it('answers gateway errors in the Herald error envelope', () => {
    s.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'UNAUTHORIZED',
      StatusCode: '401',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"UNAUTHENTICATED"') },
    });
    s.template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: String(ERROR_CODES.ROUTE_NOT_FOUND.status),
    });
  });

  it('puts a WAF web ACL with AWS managed rule groups and a per-IP rate rule on the stage', () => {
    const [aclId, webAcl] = resourcesOf(s.json, 'AWS::WAFv2::WebACL')[0] as [string, CfnResourceJson];
    const rules = props(webAcl).Rules as {
      Name: string;
      Statement: { RateBasedStatement?: { Limit: number }; ManagedRuleGroupStatement?: { Name: string } };
    }[];
    expect(props(webAcl).Scope).toBe('REGIONAL');
    expect(rules.find((r) => r.Statement.RateBasedStatement)?.Statement.RateBasedStatement?.Limit).toBe(
      config.api.wafRateLimitPer5Min,
    );
    expect(rules.map((r) => r.Statement.ManagedRuleGroupStatement?.Name).filter(Boolean)).toEqual([
      'AWSManagedRulesAmazonIpReputationList',
      'AWSManagedRulesCommonRuleSet',
      'AWSManagedRulesKnownBadInputsRuleSet',
    ]);
    const [, association] = resourcesOf(s.json, 'AWS::WAFv2::WebACLAssociation')[0] as [
      string,
      CfnResourceJson,
    ];
    expect(props(association).WebACLArn).toEqual(arnOf(aclId));
    const stageArn = JSON.stringify(props(association).ResourceArn);
    expect(stageArn).toContain(logicalId(s.stack.restApi.api));
    expect(stageArn).toContain(logicalId(s.stack.restApi.api.deploymentStage));
    s.template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: [{ SingleHeader: { Name: 'authorization' } }],
    });
  });
});

describe('WebSocket API', () => {
  const routeResource = (key: string) =>
    resourcesOf(s.json, 'AWS::ApiGatewayV2::Route').find(([, r]) => props(r).RouteKey === key) as [
      string,
      CfnResourceJson,
    ];

  it('selects routes as the route table says', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: ROUTES.ws.routeSelectionExpression,
    });
  });

  it('guards $connect with the REQUEST Lambda authorizer of the route table', () => {
    const [, route] = routeResource('$connect');
    const [authorizerId, authorizer] = resourcesOf(s.json, 'AWS::ApiGatewayV2::Authorizer')[0] as [
      string,
      CfnResourceJson,
    ];
    expect(props(route).AuthorizationType).toBe('CUSTOM');
    expect(props(route).AuthorizerId).toEqual(ref(authorizerId));
    expect(props(authorizer).AuthorizerType).toBe('REQUEST');
    expect(props(authorizer).IdentitySource).toEqual([...ROUTES.ws.identitySource]);
    expect(JSON.stringify(props(authorizer).AuthorizerUri)).toContain(
      `"${fnId(handlerKey(ROUTES.ws.authorizer))}"`,
    );
  });

  it.each(ROUTES.ws.routes.map((r) => [r.routeKey, r] as const))(
    'routes %s to its handler',
    (key, wsRoute) => {
      const [, route] = routeResource(key);
      const target = (props(route).Target as { 'Fn::Join': [string, [string, { Ref: string }]] })[
        'Fn::Join'
      ][1][1].Ref;
      const integration = props(resource(target));
      expect(integration.IntegrationType).toBe('AWS_PROXY');
      expect(JSON.stringify(integration.IntegrationUri)).toContain(`"${fnId(handlerKey(wsRoute.handler))}"`);
    },
  );

  it('sends $default replies (pong, error frames) back to the client through a route response', () => {
    const [defaultId, route] = routeResource('$default');
    expect(props(route).RouteResponseSelectionExpression).toBe('$default');
    s.template.hasResourceProperties('AWS::ApiGatewayV2::RouteResponse', {
      RouteId: ref(defaultId),
      RouteResponseKey: '$default',
    });
  });

  it('throttles the stage and $connect on its own, and logs access without query strings', () => {
    const [, stage] = resourcesOf(s.json, 'AWS::ApiGatewayV2::Stage')[0] as [string, CfnResourceJson];
    const p = props(stage);
    expect(p.StageName).toBe(config.websocket.stageName);
    expect(p.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: config.websocket.throttle.rateLimit,
      ThrottlingBurstLimit: config.websocket.throttle.burstLimit,
      LoggingLevel: 'ERROR',
      DataTraceEnabled: false,
    });
    expect((p.RouteSettings as Record<string, unknown>).$connect).toMatchObject({
      ThrottlingRateLimit: config.websocket.connectThrottle.rateLimit,
      ThrottlingBurstLimit: config.websocket.connectThrottle.burstLimit,
    });
    const format = (p.AccessLogSettings as { Format: string }).Format;
    expect(format).toContain('$context.connectionId');
    expect(format).not.toMatch(/querystring|requestOverride|\$input/i);
  });
});

describe('compute', () => {
  const heraldFunctions = () => [
    ...[...s.stack.functions.values()].map((f) => logicalId(f.function)),
    logicalId(s.stack.migrations.migrator.function),
  ];

  it('builds one function per routed handler plus the migrator, all with the Herald defaults', () => {
    const handlers = new Set([
      ...Object.values(ROUTES.http).map((r) => handlerKey(r.handler)),
      handlerKey(ROUTES.ws.authorizer),
      ...ROUTES.ws.routes.map((r) => handlerKey(r.handler)),
      ...ROUTES.queues.map((q) => handlerKey(q.handler)),
      ...ROUTES.topics.map((t) => handlerKey(t.handler)),
    ]);
    expect(new Set(s.stack.functions.keys())).toEqual(handlers);
    for (const id of heraldFunctions()) {
      const p = props(resource(id));
      expect(p, id).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/Logs/) } },
      });
      expect((p.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
        // Every function maps stack traces to the sources; the worker adds a V8 heap flag.
        NODE_OPTIONS: expect.stringMatching(/^--enable-source-maps( --max-semi-space-size=\d+)?$/),
        POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^herald-/),
      });
    }
  });

  it('gives API handlers the configured timeout and the worker its route timeout', () => {
    const [queue] = ROUTES.queues;
    if (!queue) throw new Error('ROUTES has no queue');
    expect(props(resource(fnId(handlerKey(queue.handler)))).Timeout).toBe(queue.timeoutSeconds);
    expect(props(resource(fnId('realtime/http-whoami'))).Timeout).toBe(config.lambda.timeoutSeconds);
  });

  it.each(ROUTES.queues.map((q) => [q.id, q] as const))(
    'runs %s through SQS to its worker, with a DLQ after maxReceiveCount and partial batch failures',
    (id, route) => {
      const worker = s.stack.queueWorkers.get(id);
      if (!worker) throw new Error(`no worker ${id}`);
      const queue = props(resource(logicalId(worker.queue)));
      expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * route.timeoutSeconds);
      expect(props(resource(fnId(handlerKey(route.handler)))).Timeout).toBe(route.timeoutSeconds);
      expect(queue.MaximumMessageSize).toBeGreaterThanOrEqual(64 * 1024);
      expect(queue.MaximumMessageSize).toBe(MAX_MESSAGE_BYTES);
      expect(queue.SqsManagedSseEnabled).toBe(true);
      expect(queue.RedrivePolicy).toEqual({
        deadLetterTargetArn: arnOf(logicalId(worker.deadLetterQueue)),
        maxReceiveCount: route.maxReceiveCount,
      });
      s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: arnOf(logicalId(worker.queue)),
        FunctionName: ref(fnId(handlerKey(route.handler))),
        BatchSize: route.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    },
  );

  it.each(ROUTES.queues.filter((q) => q.source).map((q) => [q.id, q] as const))(
    'feeds %s with the object-created events of its source bucket and prefix',
    (id, route) => {
      const worker = s.stack.queueWorkers.get(id);
      if (!worker || !route.source) throw new Error(`no worker ${id}`);
      const bucket = s.stack.buckets.bucket(route.source.bucket);
      const [, notifications] = resourcesOf(s.json, 'Custom::S3BucketNotifications').find(
        ([, r]) => (props(r).BucketName as { Ref: string }).Ref === logicalId(bucket),
      ) as [string, CfnResourceJson];
      expect(
        (props(notifications).NotificationConfiguration as { QueueConfigurations: unknown[] })
          .QueueConfigurations,
      ).toContainEqual({
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: route.source.prefix }] } },
        QueueArn: arnOf(logicalId(worker.queue)),
      });
    },
  );

  it.each(ROUTES.queues.filter((q) => !q.source).map((q) => [q.id, q] as const))(
    'gives every function the URL of %s and lets only its declared producers send to it',
    (id) => {
      const worker = s.stack.queueWorkers.get(id);
      if (!worker) throw new Error(`no worker ${id}`);
      for (const fn of s.stack.functions.values()) {
        const vars = (
          props(resource(logicalId(fn.function))).Environment as { Variables: Record<string, unknown> }
        ).Variables;
        expect(vars[queueUrlVariable(id)]).toEqual(ref(logicalId(worker.queue)));
      }
      const producers = Object.entries(HANDLER_ACCESS)
        .filter(([, access]) => access.sendToQueues?.includes(id))
        .map(([key]) => key);
      expect(producers.length).toBeGreaterThan(0);
      for (const key of s.stack.functions.keys()) {
        const sends = grantsOf(s.json, s.stack, roleId(key)).filter(
          (g) => g === `sqs:SendMessage queue:${id}`,
        );
        expect(sends, key).toHaveLength(producers.includes(key) ? 1 : 0);
      }
    },
  );

  it.each(ROUTES.topics.map((t) => [t.id, t] as const))(
    'subscribes the %s handler with a dead-letter queue for undeliverable and failed events',
    (id, route) => {
      const subscriber = s.stack.topicSubscribers.get(id);
      if (!subscriber) throw new Error(`no topic ${id}`);
      const dlq = arnOf(logicalId(subscriber.deadLetterQueue));
      s.template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'lambda',
        TopicArn: ref(logicalId(subscriber.topic)),
        Endpoint: arnOf(fnId(handlerKey(route.handler))),
        RedrivePolicy: { deadLetterTargetArn: dlq },
      });
      s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: ref(fnId(handlerKey(route.handler))),
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: dlq } },
      });
      expect(props(resource(logicalId(subscriber.topic))).KmsMasterKeyId).toEqual(
        expect.objectContaining({ 'Fn::Join': expect.anything() }),
      );
      expect(JSON.stringify(props(resource(logicalId(subscriber.topic))).KmsMasterKeyId)).toContain(
        'alias/aws/sns',
      );
    },
  );

  it('runs the migrations as a custom resource that re-runs when the SQL changes', () => {
    const migrator = logicalId(s.stack.migrations.migrator.function);
    s.template.hasResourceProperties('Custom::HeraldMigrations', {
      MigrationsFingerprint: migrationsFingerprint(),
    });
    expect(migrationsFingerprint()).toMatch(/^[0-9a-f]{64}$/);
    const env = (props(resource(migrator)).Environment as { Variables: Record<string, unknown> }).Variables;
    expect(JSON.stringify(env.HERALD_DATABASE_URL)).toContain(logicalId(s.stack.database.instance));
    expect(env.HERALD_DATABASE_SECRET_ID).toEqual(ref(logicalId(s.stack.database.secret)));
  });

  it('lets only the functions that publish post to WebSocket connections, on this stage only', () => {
    const posting = new Set(
      Object.entries(HANDLER_ACCESS)
        .filter(([, access]) => access.manageConnections)
        .map(([key]) => key),
    );
    expect(posting).toEqual(
      new Set([
        'realtime/ws-default',
        'realtime/sns-notify',
        'realtime/sqs-topic-fanout',
        'realtime/http-delete-topic-grant',
        'ingest/sqs-ingest',
        'ingest/http-cancel-job',
        'files/http-create-file-link',
        'files/sqs-fetch-file',
      ]),
    );
    for (const key of s.stack.functions.keys()) {
      const grants = grantsOf(s.json, s.stack, roleId(key)).filter((g) => g.startsWith('execute-api:'));
      expect(grants, key).toEqual(
        posting.has(key)
          ? [
              `execute-api:ManageConnections arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:ws/${config.websocket.stageName}/POST/@connections/*`,
            ]
          : [],
      );
    }
    const elsewhere = allStatements(s.json).filter(
      (st) =>
        st.actions.some((a) => a.startsWith('execute-api:')) &&
        ![...posting].some((key) => st.policy.startsWith(roleId(key).replace(/Role[0-9A-F]{8}$/, ''))),
    );
    expect(elsewhere).toEqual([]);
  });
});

describe('auth', () => {
  it('has an admin-managed user pool with a strong password policy and MFA per config', () => {
    s.template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: config.auth.mfa === 'required' ? 'ON' : 'OPTIONAL',
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
    });
  });

  it('has one public app client for SRP sign-in and the analysts and admins groups', () => {
    s.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']),
      PreventUserExistenceErrors: 'ENABLED',
    });
    const groups = resourcesOf(s.json, 'AWS::Cognito::UserPoolGroup').map(([, g]) => props(g).GroupName);
    expect(groups.sort()).toEqual(['admins', 'analysts']);
  });
});

describe('observability', () => {
  const alarms = () => resourcesOf(s.json, 'AWS::CloudWatch::Alarm').map(([, a]) => props(a));

  it('alarms on any message in any dead-letter queue', () => {
    const dlqs = [
      ...[...s.stack.queueWorkers.values()].map((w) => w.deadLetterQueue),
      ...[...s.stack.topicSubscribers.values()].map((t) => t.deadLetterQueue),
    ];
    expect(dlqs.length).toBe(ROUTES.queues.length + ROUTES.topics.length);
    for (const dlq of dlqs) {
      expect(alarms()).toContainEqual(
        expect.objectContaining({
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(dlq), 'QueueName'] } }],
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          AlarmActions: [ref(logicalId(s.stack.observability.alarmTopic))],
        }),
      );
    }
  });

  it('alarms on errors and throttles of every Herald function', () => {
    for (const id of [
      ...[...s.stack.functions.values()].map((f) => logicalId(f.function)),
      logicalId(s.stack.migrations.migrator.function),
    ]) {
      // One alarm per function on the sum of both metrics (the stack's 500-resource limit).
      const mine = alarms().filter((a) =>
        JSON.stringify(a.Metrics ?? []).includes(JSON.stringify({ Name: 'FunctionName', Value: ref(id) })),
      );
      expect(mine, id).toHaveLength(1);
      const metrics = (mine[0]?.Metrics ?? []) as {
        Id: string;
        Expression?: string;
        MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown } };
      }[];
      for (const metric of ['Errors', 'Throttles']) {
        expect(metrics, `${metric} ${id}`).toContainEqual(
          expect.objectContaining({
            MetricStat: expect.objectContaining({
              Metric: {
                Namespace: 'AWS/Lambda',
                MetricName: metric,
                Dimensions: [{ Name: 'FunctionName', Value: ref(id) }],
              },
            }),
          }),
        );
      }
      expect(metrics.find((m) => m.Expression !== undefined)?.Expression).toBe(
        'FILL(errors, 0) + FILL(throttles, 0)',
      );
      expect(mine[0]).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    }
  });

  it('alarms on REST 5xx and on WebSocket $connect failures', () => {
    expect(alarms()).toContainEqual(
      expect.objectContaining({ Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Threshold: 1 }),
    );
    const connect = alarms().find((a) => JSON.stringify(a.Metrics ?? []).includes('IntegrationError'));
    expect(JSON.stringify(connect?.Metrics)).toContain('"Route","Value":"$connect"');
    expect(JSON.stringify(connect?.Metrics)).toContain('ExecutionError');
  });

  it('has one dashboard', () => {
    s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('least-privilege IAM', () => {
  const api = `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:ws/${config.websocket.stageName}/POST/@connections/*`;
  const publisher = [
    'dynamodb:DeleteItem table:Connections',
    'dynamodb:Query table:Connections/index/byUser',
    'dynamodb:PutItem table:JobEvents',
    'dynamodb:Query table:Devices',
    'dynamodb:DeleteItem table:Devices',
    `execute-api:ManageConnections ${api}`,
    'secretsmanager:DescribeSecret secret:fcm',
    'secretsmanager:GetSecretValue secret:fcm',
  ];
  // sns-notify's failed asynchronous invocations go to the topic's dead-letter queue.
  const onFailure = [
    'sqs:GetQueueAttributes queue:NotifyTopicDlq',
    'sqs:GetQueueUrl queue:NotifyTopicDlq',
    'sqs:SendMessage queue:NotifyTopicDlq',
  ];
  const database = [
    'secretsmanager:DescribeSecret secret:database',
    'secretsmanager:GetSecretValue secret:database',
  ];
  // File delivery: the SRV-GW credential, and the files bucket's `files/<path>` copies.
  const files = [
    'secretsmanager:DescribeSecret secret:srvgw',
    'secretsmanager:GetSecretValue secret:srvgw',
    's3:GetObject bucket:files/files/*',
    's3:PutObject bucket:files/files/*',
    's3:AbortMultipartUpload bucket:files/files/*',
    's3:DeleteObject bucket:files/files/*',
    // A cache miss (HeadObject of a missing key) is 404 only with ListBucket; 403 without.
    's3:ListBucket bucket:files',
    'kms:Decrypt key:buckets',
    'kms:GenerateDataKey key:buckets',
  ];
  // Shared topics: the seq counter and log, the subscribers' Query, the fan-out queue.
  const topicPublisher = [
    'dynamodb:UpdateItem table:TopicEvents',
    'dynamodb:PutItem table:TopicEvents',
    'dynamodb:Query table:TopicSubscriptions',
    'sqs:SendMessage queue:TopicFanoutQueue',
  ];
  const consumer = (queue: string) =>
    ['ChangeMessageVisibility', 'DeleteMessage', 'GetQueueAttributes', 'GetQueueUrl', 'ReceiveMessage'].map(
      (action) => `sqs:${action} queue:${queue}`,
    );
  const expected: Record<string, string[]> = {
    'realtime/ws-authorize': [
      'dynamodb:DeleteItem table:Tickets',
      'dynamodb:UpdateItem table:ConnectAttempts',
    ],
    'realtime/ws-connect': ['dynamodb:PutItem table:Connections'],
    'realtime/ws-disconnect': [
      'dynamodb:DeleteItem table:Connections',
      'dynamodb:DeleteItem table:TopicSubscriptions',
      'dynamodb:Query table:TopicSubscriptions/index/byConnection',
    ],
    'realtime/ws-default': [
      'dynamodb:GetItem table:Connections',
      'dynamodb:UpdateItem table:Connections',
      'dynamodb:Query table:JobEvents',
      'dynamodb:Query table:TopicGrants',
      'dynamodb:PutItem table:TopicSubscriptions',
      'dynamodb:DeleteItem table:TopicSubscriptions',
      'dynamodb:GetItem table:TopicEvents',
      'dynamodb:Query table:TopicEvents',
      `execute-api:ManageConnections ${api}`,
    ],
    'realtime/http-whoami': [],
    'realtime/http-create-ticket': ['dynamodb:PutItem table:Tickets'],
    'realtime/http-register-device': [
      'dynamodb:Query table:Devices',
      'dynamodb:GetItem table:Devices',
      'dynamodb:PutItem table:Devices',
      'dynamodb:DeleteItem table:Devices',
      'dynamodb:Query table:Devices/index/byToken',
    ],
    'realtime/http-delete-device': ['dynamodb:DeleteItem table:Devices'],
    'realtime/sns-notify': [...publisher, ...topicPublisher, ...onFailure],
    'realtime/http-list-topic-grants': ['dynamodb:Query table:TopicGrants'],
    'realtime/http-create-topic-grant': ['dynamodb:PutItem table:TopicGrants'],
    'realtime/http-delete-topic-grant': [
      'dynamodb:DeleteItem table:TopicGrants',
      'dynamodb:Query table:TopicGrants',
      'dynamodb:DeleteItem table:TopicSubscriptions',
      'dynamodb:Query table:TopicSubscriptions',
      `execute-api:ManageConnections ${api}`,
    ],
    'realtime/http-publish-topic-event': topicPublisher,
    'realtime/sqs-topic-fanout': [
      'dynamodb:DeleteItem table:Connections',
      'dynamodb:DeleteItem table:TopicSubscriptions',
      'dynamodb:Query table:TopicSubscriptions/index/byConnection',
      `execute-api:ManageConnections ${api}`,
      ...consumer('TopicFanoutQueue'),
    ],
    'ingest/http-create-upload': [
      ...database,
      'kms:Decrypt key:buckets',
      'kms:GenerateDataKey key:buckets',
      'kms:Decrypt key:buckets',
      's3:PutObject bucket:uploads/uploads/*',
    ].filter((g, i, all) => all.indexOf(g) === i),
    // Presigns parts: PutObject (its KMS grants as any writer).
    'ingest/http-presign-upload-parts': [
      ...database,
      'kms:Decrypt key:buckets',
      'kms:GenerateDataKey key:buckets',
      's3:PutObject bucket:uploads/uploads/*',
    ],
    // Checks the parts (ListParts), queues the completion; HeadObject tells a completed upload
    // from a gone one (GetObject, ListBucket for a 404). It no longer writes: no PutObject.
    'ingest/http-complete-upload': [
      ...database,
      'kms:Decrypt key:buckets',
      's3:ListMultipartUploadParts bucket:uploads/uploads/*',
      's3:GetObject bucket:uploads/uploads/*',
      's3:ListBucket bucket:uploads',
      'sqs:SendMessage queue:UploadCompletionQueue',
    ],
    // Completes off the request path: ListParts, CompleteMultipartUpload (PutObject), HeadObject.
    'ingest/sqs-complete-upload': [
      ...database,
      'kms:Decrypt key:buckets',
      'kms:GenerateDataKey key:buckets',
      's3:ListMultipartUploadParts bucket:uploads/uploads/*',
      's3:PutObject bucket:uploads/uploads/*',
      's3:GetObject bucket:uploads/uploads/*',
      's3:ListBucket bucket:uploads',
      ...consumer('UploadCompletionQueue'),
    ],
    // ListParts and AbortMultipartUpload read no object data: no KMS key.
    'ingest/http-get-upload': [...database, 's3:ListMultipartUploadParts bucket:uploads/uploads/*'],
    'ingest/http-abort-upload': [...database, 's3:AbortMultipartUpload bucket:uploads/uploads/*'],
    'ingest/http-list-jobs': database,
    'ingest/http-get-job': database,
    'ingest/http-get-job-errors': [
      ...database,
      'kms:Decrypt key:buckets',
      's3:GetObject bucket:uploads/reports/*',
    ],
    // A waiting job's job.cancelled is published by the cancel itself.
    'ingest/http-cancel-job': [...database, ...publisher],
    'ingest/sqs-ingest': [
      ...database,
      ...publisher,
      's3:GetObject bucket:uploads/uploads/*',
      's3:DeleteObject bucket:uploads/uploads/*',
      's3:PutObject bucket:uploads/reports/*',
      'kms:Decrypt key:buckets',
      'kms:Decrypt key:buckets',
      'kms:GenerateDataKey key:buckets',
      ...consumer('IngestQueue'),
    ],
    'files/http-create-file-link': [
      ...database,
      ...publisher,
      ...files,
      'sqs:SendMessage queue:FileFetchQueue',
    ],
    'files/http-list-grants': database,
    'files/http-create-grant': database,
    'files/http-delete-grant': database,
    'files/sqs-fetch-file': [...database, ...publisher, ...files, ...consumer('FileFetchQueue')],
  };

  it('covers every routed handler', () => {
    expect(new Set(Object.keys(expected))).toEqual(new Set(s.stack.functions.keys()));
  });

  it.each(Object.entries(expected))('grants %s exactly what it uses', (key, grants) => {
    expect(grantsOf(s.json, s.stack, roleId(key))).toEqual([...grants].sort());
  });

  it('uses a `*` resource only for actions without resource-level permissions', () => {
    const allowed = new Set([
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
      // CDK's bucket-notification custom resource (acknowledged in the stack).
      's3:PutBucketNotification',
    ]);
    for (const st of allStatements(s.json).filter((x) => x.resources.includes('*'))) {
      for (const action of st.actions) expect(allowed, `${st.policy}: ${action} on *`).toContain(action);
    }
  });
});

describe('environment', () => {
  /**
   * A function's environment as Lambda would see it: CloudFormation tokens replaced by plausible
   * values (a secret reference by an ARN, anything else by `token` inside its literal parts).
   */
  function envOf(key: string): Record<string, string> {
    const vars = (props(resource(fnId(key))).Environment as { Variables: Record<string, unknown> }).Variables;
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:token-AbCdEf';
    const value = (name: string, v: unknown) =>
      typeof v !== 'string' && /_SECRET_(ARN|ID)$/.test(name) ? secretArn : flatten(v);
    return {
      AWS_REGION: 'eu-west-1',
      ...Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, value(k, v)])),
    };
  }

  const routed = () => [...new Set(routeHandlers(ROUTES).map(handlerKey))];

  it.each(routeHandlers(ROUTES).map((ref) => [handlerKey(ref)] as const))(
    'satisfies the configuration of %s (its package validates the whole environment at cold start)',
    (key) => {
      const load = {
        realtime: realtime.loadConfig,
        ingest: ingest.loadConfig,
        files: filesPackage.loadConfig,
      }[key.split('/')[0] as 'realtime' | 'ingest' | 'files'];
      expect(() => load(envOf(key))).not.toThrow();
    },
  );

  it('satisfies the publisher configuration in every function that publishes', () => {
    const publishers = routed().filter((key) => HANDLER_ACCESS[key]?.manageConnections);
    expect(publishers.length).toBeGreaterThan(0);
    for (const key of publishers) expect(() => realtime.loadPublisherConfig(envOf(key)), key).not.toThrow();
  });

  it('gives the file-delivery handlers the files bucket, SRV-GW, its credential secret and the fetch queue', () => {
    for (const key of ['files/http-create-file-link', 'files/sqs-fetch-file']) {
      const env = envOf(key);
      // The queue URL is a `Ref` CloudFormation resolves (`token` here); every other value parses as is.
      const queueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/FileFetchQueue';
      const resolved = { ...env, [queueUrlVariable('FileFetchQueue')]: queueUrl };
      expect(() => filesPackage.loadDeliveryConfig(resolved), key).not.toThrow();
      expect(env.HERALD_FILES_BUCKET, key).toBeTruthy();
      expect(env.HERALD_SRVGW_URL, key).toMatch(/^https:\/\//);
      expect(env.HERALD_SRVGW_CREDENTIAL_SECRET_ARN, key).toMatch(/^arn:aws:secretsmanager:/);
      expect(env.HERALD_SRVGW_CREDENTIAL, key).toBeUndefined();
      expect(env[queueUrlVariable('FileFetchQueue')], key).toBeTruthy();
    }
  });

  it('names every table in the variable the realtime config reads', () => {
    const env = envOf('realtime/ws-connect');
    for (const def of TABLES) expect(env[tableEnvVar(def)], def.id).toMatch(/^token$|herald/);
    expect(tableEnvVar(TABLES[0] as (typeof TABLES)[number])).toBe('HERALD_CONNECTIONS_TABLE');
  });

  it('stays under the 4 KB Lambda environment limit, even with long resolved names', () => {
    for (const fn of s.stack.functions.values()) {
      const vars = (
        props(resource(logicalId(fn.function))).Environment as { Variables: Record<string, unknown> }
      ).Variables;
      // An unresolved value (an ARN, a URL with an API id) counted as 128 characters.
      const size = Object.entries(vars).reduce(
        (sum, [k, v]) => sum + k.length + (typeof v === 'string' ? v.length : 128),
        0,
      );
      expect(size, fn.node.id).toBeLessThan(4096);
    }
  });

  it('puts no database password in any environment', () => {
    const env = envOf('ingest/sqs-ingest');
    expect(env.HERALD_DATABASE_URL).toBe('postgresql://herald_admin@token:token/herald?sslmode=verify-full');
    expect(env.HERALD_DATABASE_SECRET_ID).toEqual(expect.anything());
    expect(JSON.stringify(s.json)).not.toMatch(/password=|:\/\/[^/@"]+:[^/@"]+@/);
  });
});

describe('cdk-nag AwsSolutions', () => {
  /** Every acknowledgement in the app: where, which rule, why. */
  function acknowledgements(): { path: string; id: string; reason: string }[] {
    const out: { path: string; id: string; reason: string }[] = [];
    for (const c of s.app.node.findAll()) {
      for (const entry of c.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          const rule = id.replace(/^Annotation::/i, '');
          // CDK acknowledges some of its own CloudFormation-validation warnings; ours are cdk-nag's.
          if (rule.startsWith('AwsSolutions-')) out.push({ path: c.node.path, id: rule, reason });
        }
      }
    }
    return out;
  }

  it('leaves no finding unacknowledged in dev', () => {
    expect(
      s.violations.map(
        (v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
  });

  it('acknowledges only specific findings, each on the narrowest construct, with a reason', () => {
    const acks = acknowledgements();
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThanOrEqual(40);
      // A bare IAM4/IAM5 acknowledgement would hide every wildcard or managed policy below it.
      expect(ack.id, ack.path).not.toMatch(/^AwsSolutions-IAM[45]$/);
      // Never on the app or the whole stack.
      expect(ack.path.split('/').length, `${ack.path} ${ack.id}`).toBeGreaterThan(1);
    }
  });

  it('keeps the list of acknowledgements reviewed', async () => {
    const lines = acknowledgements()
      .map(
        (a) =>
          `${a.path.replace(/^HeraldDev\//, '')}  ${a.id.replace(/[0-9A-F]{8}(?=(\.Arn)?>)/g, '')}\n    ${a.reason}`,
      )
      .sort();
    await expect(`${lines.join('\n')}\n`).toMatchFileSnapshot(
      './__snapshots__/nag-acknowledgements.txt.snap',
    );
  });
});

describe('template snapshot', () => {
  it('matches the reviewed template (asset and content hashes redacted)', async () => {
    const redacted = JSON.stringify(s.json, null, 2).replace(/[0-9a-f]{64}/g, '<hash>');
    await expect(redacted).toMatchFileSnapshot('./__snapshots__/herald-dev.template.json.snap');
  });
});
