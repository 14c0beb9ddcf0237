import { join } from 'node:path';
import { checkDeclaredDatasets, DATASETS_FILE } from '@herald/ingest/datasets';
import { type HandlerRef, queueUrlVariable, ROUTES, type RouteTable } from '@herald/protocol';
import { TABLES, type TableDefinition } from '@herald/realtime/tables';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import { SubnetType } from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Alias } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { HostedZone, type IHostedZone } from 'aws-cdk-lib/aws-route53';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { HeraldConfig } from '../config.ts';
import { Auth } from '../constructs/auth.ts';
import { Buckets } from '../constructs/buckets.ts';
import { Database } from '../constructs/database.ts';
import { Domains, domainNames } from '../constructs/domains.ts';
import { Downloads } from '../constructs/downloads.ts';
import { HeraldFunction } from '../constructs/herald-function.ts';
import { Migrations } from '../constructs/migrations.ts';
import { Network } from '../constructs/network.ts';
import { Observability } from '../constructs/observability.ts';
import { QueueWorker } from '../constructs/queue-worker.ts';
import { HeraldRestApi } from '../constructs/rest-api.ts';
import { Tables } from '../constructs/tables.ts';
import { TopicSubscriber } from '../constructs/topic-subscriber.ts';
import { HeraldWebSocketApi } from '../constructs/websocket-api.ts';
import {
  accessFor,
  assertHandlersExist,
  HANDLER_ACCESS,
  HANDLER_BUDGETS,
  type HandlerAccess,
  handlerEntry,
  handlerKey,
  REPO_ROOT,
  type SecretName,
  STREAMING_HANDLERS,
} from '../handlers.ts';
import { acknowledge, acknowledgeWildcards } from '../nag.ts';

export interface HeraldStackProps extends StackProps {
  readonly config: HeraldConfig;
  /** The route table API Gateway, the queues and the topics are built from. @default ROUTES */
  readonly routes?: RouteTable;
  /** The DynamoDB table definitions. @default TABLES */
  readonly tables?: readonly TableDefinition[];
  /** Where `packages/` lives (tests point it at a fixture). @default - this repository */
  readonly repoRoot?: string;
  /**
   * The adopter's dataset declaration file; its `datasets/migrations` folder sits next to it.
   * @default - `herald.datasets.json` at the root of this repository
   */
  readonly datasetsFile?: string;
  /**
   * The us-east-1 certificate of `files.<domain>` ({@link EdgeCertificateStack}), when the
   * configuration has a domain and downloads. @default none
   */
  readonly filesCertificate?: ICertificate;
}

/** Closest CloudWatch Logs retention at or above `days`. */
function retention(days: number): RetentionDays {
  const allowed = Object.values(RetentionDays).filter((v): v is RetentionDays => typeof v === 'number');
  return allowed.filter((d) => d >= days && d > 0).sort((a, b) => a - b)[0] ?? RetentionDays.INFINITE;
}

/** `realtime/ws-connect` → `RealtimeWsConnect`: stable construct ids (renames replace resources). */
function functionId(ref: HandlerRef): string {
  return handlerKey(ref)
    .split(/[^a-z0-9]+/i)
    .map((w) => (w[0]?.toUpperCase() ?? '') + w.slice(1))
    .join('');
}

/**
 * Herald on AWS, one stack per environment: network, data (PostgreSQL + RDS Proxy, DynamoDB,
 * S3), Cognito, the REST and WebSocket APIs from the shared route table, the ingest queue and
 * the notify topic, migrations on deploy, alarms and a dashboard.
 *
 * Every function is a {@link HeraldFunction} with the same environment (each package validates
 * its whole configuration at cold start, as in the local stack) and exactly the permissions its
 * entry in `HANDLER_ACCESS` names.
 */
export class HeraldStack extends Stack {
  readonly network: Network;
  readonly database: Database;
  readonly tables: Tables;
  readonly buckets: Buckets;
  readonly auth: Auth;
  readonly restApi: HeraldRestApi;
  readonly webSocket: HeraldWebSocketApi;
  readonly secrets: Readonly<Record<SecretName, Secret>>;
  readonly migrations: Migrations;
  readonly observability: Observability;
  /** CloudFront in front of the files bucket, when the configuration has signing keys. */
  readonly downloads: Downloads | undefined;
  /** Custom domain names of the APIs, when the configuration has a domain. */
  readonly domains: Domains | undefined;
  /** Every handler's function, by handler key (`realtime/ws-connect`). */
  readonly functions = new Map<string, HeraldFunction>();
  /** The queue workers of `ROUTES.queues`, by route id. */
  readonly queueWorkers = new Map<string, QueueWorker>();
  /** The topics of `ROUTES.topics`, by route id. */
  readonly topicSubscribers = new Map<string, TopicSubscriber>();

  private readonly config: HeraldConfig;
  private readonly functionEnvironment: Record<string, string>;
  private readonly queueTimeouts = new Map<string, number>();
  private readonly repoRoot: string | undefined;

  constructor(scope: Construct, id: string, props: HeraldStackProps) {
    super(scope, id, props);
    const { config } = props;
    const routes = props.routes ?? ROUTES;
    this.config = config;
    this.repoRoot = props.repoRoot;
    assertHandlersExist(routes, props.repoRoot);
    // A bad declaration file, or one its committed migrations do not bring the database to,
    // fails synth (and with it `npm run dev` and deploy), listing every problem.
    checkDeclaredDatasets(props.datasetsFile ?? join(REPO_ROOT, DATASETS_FILE));

    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetention = retention(config.logRetentionDays);

    this.network = new Network(this, 'Network', {
      maxAzs: config.network.maxAzs,
      natGateways: config.network.natGateways,
      interfaceEndpoints: config.network.interfaceEndpoints,
      proxy: config.database.proxy,
      flowLogRetention: logRetention,
      removalPolicy,
    });
    this.database = new Database(this, 'Database', {
      vpc: this.network.vpc,
      securityGroups: this.network,
      proxy: config.database.proxy,
      instanceType: config.database.instanceType,
      multiAz: config.database.multiAz,
      deletionProtection: config.database.deletionProtection,
      allocatedStorageGiB: config.database.allocatedStorageGiB,
      maxAllocatedStorageGiB: config.database.maxAllocatedStorageGiB,
      backupRetentionDays: config.database.backupRetentionDays,
      rotationDays: config.database.rotationDays,
      removalPolicy: config.retainData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      secretsManagerEndpoint: this.network.secretsManagerEndpoint,
    });
    this.tables = new Tables(this, 'Tables', {
      definitions: props.tables ?? TABLES,
      prefix: `${config.stackName.toLowerCase()}-`,
      removalPolicy,
      deletionProtection: config.retainData,
    });
    this.buckets = new Buckets(this, 'Buckets', {
      removalPolicy,
      allowedOrigins: config.allowedOrigins,
      uploadsToGlacierAfterDays: config.storage.uploadsToGlacierAfterDays,
      uploadsExpireAfterDays: config.storage.uploadsExpireAfterDays,
      filesExpireAfterDays: config.storage.filesExpireAfterDays,
    });
    const { domain } = config.edge;
    const zone: IHostedZone | undefined =
      domain?.hostedZone === undefined
        ? undefined
        : HostedZone.fromLookup(this, 'Zone', { domainName: domain.hostedZone });
    if (domain && config.edge.downloadsPublicKeys.length > 0 && !props.filesCertificate)
      throw new Error(
        'a domain with downloads needs the us-east-1 certificate of files.<domain> (filesCertificate)',
      );
    this.downloads =
      config.edge.downloadsPublicKeys.length > 0
        ? new Downloads(this, 'Downloads', {
            bucket: this.buckets.files,
            publicKeys: config.edge.downloadsPublicKeys,
            allowedOrigins: config.allowedOrigins,
            removalPolicy,
            ...(domain &&
              props.filesCertificate && {
                domain: { name: domainNames(domain.name).files, certificate: props.filesCertificate },
              }),
          })
        : undefined;
    this.auth = new Auth(this, 'Auth', {
      mfa: config.auth.mfa,
      threatProtection: config.auth.threatProtection,
      removalPolicy,
      deletionProtection: config.retainData,
    });
    this.secrets = {
      fcm: this.externalSecret(
        'FcmServiceAccount',
        'Firebase service account JSON for FCM pushes',
        'Firebase',
      ),
      srvgw: this.externalSecret(
        'SrvGwCredential',
        'Credential Herald presents to SRV-GW',
        'the SRV-GW operator',
      ),
    };
    this.webSocket = new HeraldWebSocketApi(this, 'WebSocket', {
      routeSelectionExpression: routes.ws.routeSelectionExpression,
      stageName: config.websocket.stageName,
      throttle: config.websocket.throttle,
      connectThrottle: config.websocket.connectThrottle,
      logRetention,
      accessLogBucket: this.buckets.accessLogs,
      removalPolicy,
    });

    // Queues first: handlers that feed a source-less queue find it in their environment.
    for (const route of routes.queues) {
      const worker = new QueueWorker(this, route.id, {
        route,
        ...(route.source && { bucket: this.buckets.bucket(route.source.bucket) }),
      });
      this.queueWorkers.set(route.id, worker);
    }

    this.functionEnvironment = this.sharedEnvironment(routes);
    for (const q of routes.queues) this.queueTimeouts.set(handlerKey(q.handler), q.timeoutSeconds);
    const functionFor = (ref: HandlerRef): IFunction => this.functionFor(ref, logRetention).function;

    this.restApi = new HeraldRestApi(this, 'RestApi', {
      routes: routes.http,
      functionFor,
      userPool: this.auth.userPool,
      stageName: config.api.stageName,
      throttle: config.api.throttle,
      allowedOrigins: config.allowedOrigins,
      wafRateLimitPer5Min: config.api.wafRateLimitPer5Min,
      logRetention,
      accessLogBucket: this.buckets.accessLogs,
      removalPolicy,
    });
    this.buckets.emptyLogsAfter(this.restApi.accessLogStream, this.webSocket.accessLogStream);
    this.webSocket.addRoutes(routes.ws, functionFor);
    this.domains =
      domain &&
      new Domains(this, 'Domains', {
        name: domain.name,
        zone,
        restApi: this.restApi.api,
        webSocket: { api: this.webSocket.api, stage: this.webSocket.stage },
        restStageName: config.api.stageName,
        webSocketStageName: config.websocket.stageName,
        ...(this.downloads && { distribution: this.downloads.distribution }),
      });
    // A stage with logging fails to create before the account's CloudWatch Logs role is set, and
    // CDK orders only REST stages after AWS::ApiGateway::Account (the REST API creates it).
    const account = this.restApi.api.node.tryFindChild('Account');
    if (account) this.webSocket.stage.node.addDependency(account);

    const queues = new Map<string, IQueue>();
    const deadLetterQueues = new Map<string, IQueue>();
    for (const route of routes.queues) {
      const worker = this.queueWorkers.get(route.id) as QueueWorker;
      worker.attachWorker(functionFor(route.handler), config.lambda.workerMaxConcurrency);
      queues.set(route.id, worker.queue);
      deadLetterQueues.set(`${route.id}Dlq`, worker.deadLetterQueue);
    }
    for (const route of routes.topics) {
      const subscriber = new TopicSubscriber(this, route.id, {
        subscriber: functionFor(route.handler),
        // The AWS managed key: publishers in this account need no key grant to use it.
        masterKey: Alias.fromAliasName(this, `${route.id}Key`, 'alias/aws/sns'),
      });
      this.topicSubscribers.set(route.id, subscriber);
      deadLetterQueues.set(`${route.id}Dlq`, subscriber.deadLetterQueue);
      new CfnOutput(this, `${route.id}Arn`, {
        value: subscriber.topic.topicArn,
        description: 'Other services publish {userId, event} notifications here',
      });
    }

    this.migrations = new Migrations(this, 'Migrations', {
      database: this.database,
      vpc: this.network.vpc,
      securityGroup: this.network.databaseClients,
      logRetention,
      removalPolicy,
    });
    // New code never runs before its migration: CloudFormation creates or updates every function
    // that uses PostgreSQL — with its event source mappings and invoke permissions, which are
    // its children — only after the migration custom resource has run.
    for (const [key, fn] of this.functions) {
      if (HANDLER_ACCESS[key]?.database) fn.function.node.addDependency(this.migrations.resource);
    }

    const allFunctions = new Map<string, IFunction>(
      [...this.functions.values()].map((f) => [f.node.id, f.function]),
    );
    allFunctions.set('Migrator', this.migrations.migrator.function);
    this.observability = new Observability(this, 'Observability', {
      name: config.stackName,
      functions: allFunctions,
      queues,
      deadLetterQueues,
      restApi: this.restApi.api,
      webSocket: { api: this.webSocket.api, stage: this.webSocket.stage },
      database: this.database.instance,
      webAcl: this.restApi.webAcl,
      ...(this.downloads && { distribution: this.downloads.distribution }),
      alarmEmail: config.alarmEmail,
    });

    this.acknowledgeCdkInternals();
    this.outputs();
  }

  /** A secret whose value comes from outside (loaded after deploy, docs/deploy.md). */
  private externalSecret(id: string, description: string, issuer: string): Secret {
    const secret = new Secret(this, id, {
      description: `Herald: ${description}. Loaded after deploy; see docs/deploy.md.`,
      removalPolicy: this.config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    acknowledge(
      secret,
      'AwsSolutions-SMG4',
      `Issued by ${issuer}, so no rotation Lambda can mint a new value; rotating means issuing a new ` +
        'credential there and running put-secret-value (docs/deploy.md).',
    );
    return secret;
  }

  /**
   * What every Herald function's environment holds: the same variable names the local stack
   * sets (packages/local/src/stack.ts), with AWS values. Endpoint overrides stay unset.
   */
  private sharedEnvironment(routes: RouteTable): Record<string, string> {
    const { config } = this;
    return {
      HERALD_LOG_LEVEL: config.logLevel,
      // REST handlers answer browsers from these origins with CORS headers (API Gateway adds
      // none to a proxy integration's response).
      ...(config.allowedOrigins.length > 0 && { HERALD_ALLOWED_ORIGINS: config.allowedOrigins.join(',') }),
      POWERTOOLS_LOG_LEVEL: config.logLevel.toUpperCase(),
      ...this.tables.environment(),
      ...this.buckets.environment(),
      HERALD_WS_MANAGEMENT_ENDPOINT: this.webSocket.managementEndpoint,
      HERALD_JWT_ISSUER: this.auth.issuer,
      HERALD_JWT_AUDIENCE: this.auth.client.userPoolClientId,
      HERALD_JWKS_URI: this.auth.jwksUri,
      HERALD_CONNECTION_TTL_SECONDS: String(config.connectionTtlSeconds),
      HERALD_CONNECT_LIMIT_PER_MINUTE: String(config.websocket.connectAttemptsPerIpPerMinute),
      HERALD_FCM_SECRET_ID: this.secrets.fcm.secretArn,
      // No password in the URL: it is rotated in Secrets Manager (HERALD_DATABASE_SECRET_ID) and
      // read per new connection; the user name is stable under single-user rotation. Through RDS
      // Proxy (the instance when the configuration has none); `databaseEndpoint: 'instance'`
      // handlers get the instance's URL instead.
      HERALD_DATABASE_URL: this.database.databaseUrl('proxy'),
      HERALD_DATABASE_SECRET_ID: this.database.secret.secretArn,
      // One container serves one invocation: the worker's COPY connection plus one for job updates.
      HERALD_DATABASE_POOL_MAX: '2',
      HERALD_SRVGW_URL: config.srvgwUrl,
      HERALD_SRVGW_CREDENTIAL_SECRET_ARN: this.secrets.srvgw.secretArn,
      // Download links through CloudFront (signed URLs); without a distribution, presigned S3.
      ...(this.downloads && {
        HERALD_FILES_CDN_URL: this.downloads.url,
        HERALD_FILES_SIGNING_KEY_SECRET_ARN: this.downloads.signingKey.secretArn,
      }),
      // Source-less queues: handlers send to them by URL.
      ...Object.fromEntries(
        routes.queues
          .filter((q) => !q.source)
          .map((q) => [queueUrlVariable(q.id), (this.queueWorkers.get(q.id) as QueueWorker).queue.queueUrl]),
      ),
    };
  }

  /** The function of a handler, created (with its grants) on first use. */
  private functionFor(ref: HandlerRef, logRetention: RetentionDays): HeraldFunction {
    const key = handlerKey(ref);
    const existing = this.functions.get(key);
    if (existing) return existing;
    const access = accessFor(ref);
    const { config } = this;
    const queueTimeout = this.queueTimeouts.get(key);
    const timeoutSeconds = queueTimeout ?? config.lambda.timeoutSeconds;
    const budget = HANDLER_BUDGETS[key];
    const fn = new HeraldFunction(this, functionId(ref), {
      entry: handlerEntry(ref, this.repoRoot),
      ...(this.repoRoot && { projectRoot: this.repoRoot }),
      description: key,
      serviceName: `herald-${ref.package}`,
      environment: {
        ...this.functionEnvironment,
        ...(access.databaseEndpoint === 'instance' && {
          HERALD_DATABASE_URL: this.database.databaseUrl('instance'),
        }),
        ...(budget && { [budget.variable]: String(timeoutSeconds * 1000 - budget.marginMs) }),
      },
      timeout: Duration.seconds(timeoutSeconds),
      memorySize: queueTimeout === undefined ? config.lambda.memoryMiB : config.lambda.workerMemoryMiB,
      streaming: STREAMING_HANDLERS.has(key),
      logRetention,
      logRemovalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      ...(access.database && {
        vpc: this.network.vpc,
        vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [this.network.databaseClients],
      }),
      secretsExtension: Boolean(
        access.database ||
          (access.secrets && access.secrets.length > 0) ||
          (access.signsDownloads && this.downloads),
      ),
    });
    this.functions.set(key, fn);
    this.grant(fn, access);
    return fn;
  }

  /** Applies a handler's {@link HandlerAccess}: exact actions on exact resources. */
  private grant(fn: HeraldFunction, access: HandlerAccess): void {
    const role = fn.role;
    for (const t of access.tables ?? []) {
      const table = this.tables.table(t.table);
      role.addToPrincipalPolicy(
        new PolicyStatement({ actions: [...t.actions], resources: [table.tableArn] }),
      );
      if (t.indexes && t.indexes.length > 0) {
        role.addToPrincipalPolicy(
          new PolicyStatement({
            actions: ['dynamodb:Query'],
            resources: t.indexes.map((index) => `${table.tableArn}/index/${index}`),
          }),
        );
      }
    }
    for (const b of access.buckets ?? []) {
      const bucket = this.buckets.bucket(b.bucket);
      const objects = new PolicyStatement({
        actions: [...b.actions],
        resources: [bucket.arnForObjects(`${b.prefix}*`)],
      });
      role.addToPrincipalPolicy(objects);
      acknowledgeWildcards(
        role,
        objects,
        `Object keys under the ${b.prefix} prefix of the ${b.bucket} bucket are named per user, job or file at ` +
          `runtime; the grant is ${b.actions.join(', ')} under that prefix only.`,
      );
      if (b.listsMissingKeys)
        role.addToPrincipalPolicy(
          new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
        );
      // SSE-KMS: reading needs Decrypt; writing (multipart too) needs GenerateDataKey and Decrypt;
      // deleting an object or aborting an upload needs no key.
      const writes = b.actions.includes('s3:PutObject');
      if (writes || b.actions.includes('s3:GetObject'))
        role.addToPrincipalPolicy(
          new PolicyStatement({
            actions: writes ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
            resources: [this.buckets.key.keyArn],
          }),
        );
    }
    if (access.database) this.database.grantCredentials(role);
    if (access.manageConnections) {
      const post = this.webSocket.postToConnectionsStatement();
      role.addToPrincipalPolicy(post);
      acknowledgeWildcards(
        role,
        post,
        'WebSocket connection ids exist only at runtime; the grant is POST @connections on this one stage.',
      );
    }
    for (const name of access.secrets ?? []) this.secrets[name].grantRead(role);
    if (access.signsDownloads && this.downloads) this.downloads.signingKey.grantRead(role);
    for (const id of access.sendToQueues ?? []) {
      const worker = this.queueWorkers.get(id);
      if (!worker)
        throw new Error(`HANDLER_ACCESS names queue "${id}", which ROUTES.queues does not declare`);
      role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [worker.queue.queueArn] }),
      );
    }
  }

  /** Findings on constructs CDK itself adds (not Herald code), acknowledged where they live. */
  private acknowledgeCdkInternals(): void {
    for (const child of this.node.children) {
      if (!child.node.id.startsWith('BucketNotificationsHandler')) continue;
      const reason =
        'CDK-managed singleton that writes the S3 bucket notification configuration at deploy time ' +
        '(aws-cdk-lib/aws-s3 notifications), not Herald code.';
      acknowledge(
        child,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason,
      );
      acknowledge(
        child,
        'AwsSolutions-IAM5[Resource::*]',
        `${reason} s3:PutBucketNotification is granted on '*'.`,
      );
    }
  }

  private outputs(): void {
    const out = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    out('RestApiUrl', this.domains?.restUrl ?? this.restApi.url, 'REST API base URL (the SDK baseUrl)');
    out('WebSocketUrl', this.domains?.webSocketUrl ?? this.webSocket.url, 'WebSocket URL (the SDK wsUrl)');
    out('UserPoolId', this.auth.userPool.userPoolId, 'Cognito user pool');
    out('UserPoolClientId', this.auth.client.userPoolClientId, 'Cognito app client (public, SRP)');
    out('FcmSecretArn', this.secrets.fcm.secretArn, 'Load the Firebase service account JSON here');
    out('SrvGwSecretArn', this.secrets.srvgw.secretArn, 'Load the SRV-GW credential here');
    out('UploadsBucketName', this.buckets.uploads.bucketName, 'CSV uploads');
    out('AlarmTopicArn', this.observability.alarmTopic.topicArn, 'Subscribe on-call here');
    if (this.downloads) {
      out('DownloadsUrl', this.downloads.url, 'Download links start here (CloudFront)');
      out(
        'DownloadsSigningKeySecretArn',
        this.downloads.signingKey.secretArn,
        'Load {"keyPairId", "privateKey"} of the CloudFront key pair here',
      );
    }
    out('DashboardName', this.observability.dashboard.dashboardName, 'CloudWatch dashboard');
  }
}
