import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorEnvelope } from '@herald/protocol';
import pg from 'pg';
import { type LocalDistribution, signedDistributions, startLocalDistribution } from './cdn/distribution.ts';
import { localSigningKey } from './cdn/signing-key.ts';
import { LOCK_FILE, lockDataDir } from './data-dir-lock.ts';
import { createDemoMiddleware } from './demo.ts';
import { dynamoClient, startDynamo } from './dynamodb.ts';
import { createLocalGateway, gatewayResponder } from './gateway/index.ts';
import { publishRequest } from './iam/actions.ts';
import { LocalIam } from './iam/authority.ts';
import { signedCaller } from './iam/caller.ts';
import { bucketKmsKeys, functionRoles, lambdaServiceUses } from './iam/template-policies.ts';
import type { CallRecord, UsageReport } from './iam/usage.ts';
import { mergeUsageFile } from './iam/usage-file.ts';
import { type IssueTokenOptions, startIdentityProvider } from './identity.ts';
import { startPostgres } from './postgres.ts';
import { handleOutboxRequest, PushOutbox } from './push-outbox.ts';
import type { LocalQueue } from './queue.ts';
import { startS3 } from './s3.ts';
import { LocalSecrets } from './secrets.ts';
import { handleSqsRequest } from './sqs-endpoint.ts';
import { startSampleSrvGw } from './srvgw.ts';
import {
  constructPath,
  distributionDomain,
  type LocalEnvironment,
  localizeValue,
  localResolver,
  physicalName,
} from './template/mapping.ts';
import { type CfnResource, readStackModel, type StackModel } from './template/model.ts';
import { TemplateRuntime } from './template/runner.ts';
import { synthesize } from './template/synth.ts';
import { startSrvGwWithControls } from './testing/srvgw-controls.ts';
import { ensureLocalTls } from './tls.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DEFAULT_DATA_DIR = join(REPO_ROOT, '.herald');
export const SAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'samples');

/** The CDK environment the local stack runs (`cdk synth -c env=dev`). */
export const LOCAL_CDK_CONTEXT = { env: 'dev' } as const;

/** Where the local CloudFront key pair is kept (with the synth cache: it is part of its key). */
const SIGNING_KEY_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'herald');

/**
 * The CDK context the local stack synthesizes: {@link LOCAL_CDK_CONTEXT} plus the public half of
 * the local CloudFront key pair (`downloadsPublicKeys`), so the template has the downloads
 * distribution and the link handler signs CloudFront URLs, as a deployment with keys does.
 *
 * @example
 * await synthesize({ repoRoot: REPO_ROOT, context: localCdkContext() });
 */
export function localCdkContext(): Readonly<Record<string, string>> {
  return { ...LOCAL_CDK_CONTEXT, downloadsPublicKeys: localSigningKey(SIGNING_KEY_DIR).publicKeyPem };
}

export interface LocalStackOptions {
  /** Folder for all state (database, objects, tables, keys). Default `<repo>/.herald`. */
  readonly dataDir?: string;
  /** Wipe `dataDir` first. */
  readonly fresh?: boolean;
  readonly log?: (line: string) => void;
  /** WebSocket idle timeout and maximum age; AWS's are 10 min and 2 h. */
  readonly idleTimeoutMs?: number;
  readonly maxConnectionAgeMs?: number;
  /**
   * Tests only: the queues' visibility timeout instead of the template's (6 × a 900 s worker would
   * make a redelivery wait 90 minutes).
   */
  readonly visibilityTimeoutMs?: number;
  /**
   * Serve the sample SRV-GW's test-only `/_control/` endpoint (faults, counters, scratch files).
   * Tests turn it on; `npm run dev` leaves it off. Default false.
   */
  readonly testControls?: boolean;
  /** The lowest level of the functions' log lines passed to `log`. @default 'info' */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** A cloud assembly to run instead of synthesizing the app (`cdk.out` of `cdk synth -c env=dev`). */
  readonly assemblyDir?: string;
  /**
   * When the stack stops, merge its IAM usage (what each function used, grants nothing used,
   * refused calls) into this JSON file (see `src/iam/usage.ts`). @default no report is written
   */
  readonly iamUsageReport?: string;
  /** Told about each call IAM refuses, as it happens. @default refusals are only counted */
  readonly onIamRefusal?: (call: Omit<CallRecord, 'calls'>) => void;
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly wsUrl: string;
  /** Serves the demo, `GET /_local/pushes` (the FCM stand-in) and `GET /_local/info`. */
  readonly localUrl: string;
  readonly managementEndpoint: string;
  /** The administrator's URL (TLS verified against the local RDS stand-in CA). */
  readonly postgres: { readonly connectionString: string };
  /** S3's endpoint and the physical names of the uploads and files buckets. */
  readonly s3: {
    readonly endpoint: string;
    readonly buckets: { readonly uploads: string; readonly files: string };
  };
  /** DynamoDB's endpoint and the tables' physical names by construct id (`Connections`). */
  readonly dynamodb: { readonly endpoint: string; readonly tables: Record<string, string> };
  /** The sample SRV-GW over HTTP (tests) and the credential the deployment holds for it. */
  readonly srvgw: { readonly url: string; readonly credential: string };
  readonly identity: { readonly issuer: string; readonly jwksUri: string; readonly clientId: string };
  /** The queues with an event source, by construct id (`IngestQueue`). */
  readonly queues: ReadonlyMap<string, LocalQueue>;
  /** Their URLs (what a function's environment holds), by construct id. */
  readonly queueUrls: Readonly<Record<string, string>>;
  /** The cloud assembly the stack runs. */
  readonly assemblyDir: string;
  /**
   * IAM as the stack enforces it: every call a function signs is evaluated against its role's
   * policies from the template (the account owner's and test clients' keys are allowed).
   */
  readonly iam: {
    /** Calls refused so far (function, action, resource, why, how many). */
    refused(): CallRecord[];
    /** This stack's usage report (what `iamUsageReport` merges into its file). */
    report(): UsageReport;
  };
  issueToken(username: string, options?: IssueTokenOptions): Promise<string>;
  pushes: PushOutbox['list'];
  /**
   * The environment a function runs with, by its description (`realtime/sns-notify`): the
   * template's variables resolved locally, plus the execution environment.
   */
  functionEnvironment(description: string): Readonly<Record<string, string>>;
  /**
   * Rotates the database credentials as Secrets Manager's single-user rotation does: a new
   * password is set on the database, then becomes the secret's current version.
   */
  rotateDatabasePassword(): Promise<void>;
  stop(): Promise<void>;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** Passes a function's log line on when its level (JSON `level`) is at least `min`; other lines always. */
function levelFilter(min: (typeof LEVELS)[number], log: (line: string) => void): (line: string) => void {
  const floor = LEVELS.indexOf(min);
  return (line) => {
    const level = /"level"\s*:\s*"(\w+)"/i.exec(line)?.[1]?.toLowerCase();
    const index = LEVELS.indexOf(level as (typeof LEVELS)[number]);
    if (index === -1 || index >= floor) log(line);
  };
}

/** Every origin the template allows (bucket CORS, preflights): they all stand for the demo's origin locally. */
function templateOrigins(model: StackModel): string[] {
  const origins = new Set<string>();
  for (const bucket of model.buckets.values())
    for (const rule of bucket.cors) for (const o of rule.allowedOrigins) origins.add(o);
  for (const preflight of model.restApi?.preflights ?? [])
    for (const o of preflight.allowedOrigins) origins.add(o);
  return [...origins].filter((o) => o !== '*');
}

/** The deployment's SRV-GW base URL (what the functions' `HERALD_SRVGW_URL` says). */
function templateSrvGwUrl(model: StackModel): string | undefined {
  for (const fn of model.functions.values()) {
    const url = fn.environment.HERALD_SRVGW_URL;
    if (typeof url === 'string') return new URL(url).origin;
  }
  return undefined;
}

/**
 * Starts the local stack from what the CDK app synthesizes: the template's functions run as
 * their esbuild bundles, each instance its own process on the runtime's Node.js major, with the
 * template's environment, timeout and memory; tables, buckets (with their CORS), queues (with
 * their visibility timeout and redrive), event source mappings, S3 notifications, the REST API
 * (methods, authorizer, gateway responses, CORS preflights), the WebSocket API and the migration
 * custom resource come from the template too. The servers behind them are real: PostgreSQL (TLS
 * and SCRAM only), s3rver, dynalite, a local identity provider, the sample SRV-GW (HTTPS), the
 * Parameters and Secrets extension's HTTP API, and a push outbox standing in for FCM.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const log = options.log ?? (() => {});
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  mkdirSync(dataDir, { recursive: true });
  const lock = lockDataDir(dataDir);
  // Wipe after taking the folder: a fresh start must not erase a running stack's data.
  if (options.fresh)
    for (const entry of readdirSync(dataDir))
      if (entry !== LOCK_FILE) rmSync(join(dataDir, entry), { recursive: true, force: true });

  const stops: Array<() => Promise<unknown>> = [async () => lock.release()];
  // Servers ask it about every call; it evaluates functions' calls once their roles are known.
  const iam = new LocalIam({ ...(options.onIamRefusal && { onRefused: options.onIamRefusal }) });
  const bucketKeys = new Map<string, string>();
  const { iamUsageReport } = options;
  // Runs after every server has stopped (stops run in reverse), so the report has every call.
  if (iamUsageReport !== undefined) stops.push(async () => mergeUsageFile(iamUsageReport, iam));
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((e: unknown) => log(`stop: ${String(e)}`));
    stops.length = 0;
  };

  try {
    const assemblyDir =
      options.assemblyDir ??
      (await synthesize({ repoRoot: REPO_ROOT, context: localCdkContext(), log })).assemblyDir;
    const stackName = `Herald${LOCAL_CDK_CONTEXT.env[0]?.toUpperCase()}${LOCAL_CDK_CONTEXT.env.slice(1)}`;
    const model = readStackModel(assemblyDir, stackName);
    const { template } = model;
    const tls = ensureLocalTls(join(dataDir, 'tls'));
    const srvgwCredential = 'local-srvgw-credential';
    const buckets = [...model.buckets.values()].map((b) => ({
      id: b.id,
      name: physicalName.bucket(b.id, template.Resources[b.id] as CfnResource, stackName),
      key: (constructPath(template.Resources[b.id] as CfnResource)?.at(-1) ?? b.id).toLowerCase(),
      cors: b.cors,
      abortIncompleteUploadsAfterDays: b.abortIncompleteUploadsAfterDays,
    }));

    // The control server answers at a known origin before anything else starts: its URL is in
    // the functions' environment (SQS endpoint, push outbox) and stands for the demo's origin.
    let route: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
    const control: Server = createServer((req, res) => route(req, res));
    await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          control.closeAllConnections();
          control.close(() => resolve());
        }),
    );
    const localUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
    const demoOrigin = (origin: string) => ({ from: origin, to: localUrl });
    const origins = templateOrigins(model);

    const [postgres, s3, dynamo, idp, srvgw] = await Promise.all([
      startPostgres({
        dataDir: join(dataDir, 'postgres'),
        log,
        tls: { certFile: tls.database.certFile, keyFile: tls.database.keyFile, caFile: tls.rdsCaFile },
      }),
      startS3({
        dataDir: join(dataDir, 's3'),
        buckets: buckets.map((b) => ({
          name: b.name,
          ...(b.abortIncompleteUploadsAfterDays !== undefined && {
            abortIncompleteUploadsAfterDays: b.abortIncompleteUploadsAfterDays,
          }),
          cors: b.cors.map((rule) => ({
            ...rule,
            allowedOrigins: rule.allowedOrigins.map((o) => (o === '*' ? o : localUrl)),
          })),
        })),
        iam: { check: iam, bucketKeys: (bucket) => bucketKeys.get(bucket) },
      }),
      startDynamo({ dataDir: join(dataDir, 'dynamodb'), iam }),
      startIdentityProvider({ keyFile: join(dataDir, 'identity', 'signing-key.json') }),
      (options.testControls ? startSrvGwWithControls : startSampleSrvGw)({
        root: SAMPLES_DIR,
        credential: srvgwCredential,
        tls: tls.web,
      }),
    ]);
    stops.push(postgres.stop, s3.stop, dynamo.stop, idp.close, srvgw.close);

    const secrets = new LocalSecrets({ iam });
    const secretsServer = await secrets.listen();
    stops.push(secretsServer.close);

    // The gateway listens before the functions exist: its addresses are in their environment.
    let runtime: TemplateRuntime | undefined;
    const invoke = (target: string, event: unknown) => {
      if (!runtime) throw new Error('the local stack is still starting');
      return runtime.invoke(target, event);
    };
    const rest = model.restApi;
    const ws = model.webSocketApi;
    const localizeHeaders = (headers: Readonly<Record<string, string>>) =>
      Object.fromEntries(
        Object.entries(headers).map(([k, v]) => [
          k,
          localizeValue(v, { files: {}, aliases: origins.map(demoOrigin) }),
        ]),
      );
    const gateway = await createLocalGateway({
      routes: {
        http: (rest?.routes ?? []).map((r) => ({
          method: r.method,
          path: r.path,
          auth: r.authorization === 'COGNITO_USER_POOLS' ? ('cognito' as const) : ('none' as const),
          target: r.functionId,
        })),
        ws: {
          authorizer: ws?.authorizerFunctionId ?? '',
          routes: (ws?.routes ?? []).map((r) => ({ routeKey: r.routeKey, target: r.functionId })),
        },
      },
      responses: gatewayResponder(
        (rest?.gatewayResponses ?? []).map((r) => ({ ...r, headers: localizeHeaders(r.headers) })),
        (rest?.preflights ?? []).map((p) => ({
          ...p,
          allowedOrigins: p.allowedOrigins.map((o) => (origins.includes(o) ? localUrl : o)),
          headers: localizeHeaders(p.headers),
        })),
      ),
      invoke,
      verifyToken: idp.verify,
      ...(rest && { restApiId: physicalName.api(rest.id), stage: rest.stageName }),
      ...(ws && { webSocketApiId: physicalName.api(ws.id), webSocketStage: ws.stageName }),
      ...(options.idleTimeoutMs !== undefined && { idleTimeoutMs: options.idleTimeoutMs }),
      ...(options.maxConnectionAgeMs !== undefined && { maxConnectionAgeMs: options.maxConnectionAgeMs }),
      log: (entry) => log(JSON.stringify(entry)),
      // One line per delivery: only when the functions' debug lines are wanted too (`--verbose`).
      logRequests: options.logLevel === 'debug',
      iam,
    });
    stops.push(gateway.close);
    const wsManagementOrigin = new URL(gateway.managementEndpoint).origin;

    // CloudFront in front of the files bucket: a local distribution that checks signed URLs.
    const signingKey = localSigningKey(SIGNING_KEY_DIR);
    const distributions: { from: string; to: LocalDistribution; keyPairId: string | undefined }[] = [];
    for (const spec of signedDistributions(template)) {
      const bucket = buckets.find((b) => b.id === spec.bucketId);
      if (!bucket) throw new Error(`distribution ${spec.id}: its origin ${spec.bucketId} is not a bucket`);
      const cdn = await startLocalDistribution({
        bucket: bucket.name,
        s3Endpoint: s3.endpoint,
        publicKeys: spec.publicKeys,
        log,
      });
      stops.push(cdn.close);
      const keyPairId = [...spec.publicKeys].find(([, pem]) => pem === signingKey.publicKeyPem)?.[0];
      if (keyPairId === undefined)
        log(`distribution ${spec.id}: none of its public keys is the local key; its links will be refused`);
      distributions.push({ from: `https://${distributionDomain(spec.id)}`, to: cdn, keyPairId });
    }

    const srvgwUrl = templateSrvGwUrl(model);
    const local: LocalEnvironment = {
      stackName,
      sqsEndpoint: localUrl,
      database: { host: '127.0.0.1', port: postgres.port },
      userPoolId: 'us-east-1_local',
      userPoolClientId: idp.clientId,
      aliases: [
        ...(ws
          ? [
              {
                from: `https://${physicalName.api(ws.id)}.execute-api.us-east-1.amazonaws.com`,
                to: wsManagementOrigin,
              },
            ]
          : []),
        { from: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_local', to: idp.issuer },
        ...(srvgwUrl && srvgw.httpsUrl ? [{ from: srvgwUrl, to: srvgw.httpsUrl }] : []),
        ...distributions.map((d) => ({ from: d.from, to: d.to.url })),
        ...origins.map(demoOrigin),
      ],
      files: { '/var/runtime/ca-cert.pem': tls.lambdaCaBundle },
    };

    // IAM from the template's policies, resolved with the same mapping as the environment; the
    // Lambda service's own uses of each role (event sources, VPC, destinations) are checked as
    // a deployment would check them.
    iam.enforce(functionRoles(model, local));
    for (const [bucket, key] of bucketKmsKeys(model, local)) bucketKeys.set(bucket, key);
    for (const fn of model.functions.values())
      for (const use of iam.checkServiceUses(fn.id, lambdaServiceUses(fn, model, local)))
        log(`IAM: ${fn.description} cannot ${use.action} on ${use.resource} (the Lambda service ${use.why})`);

    const admin = new pg.Pool({ connectionString: postgres.connectionString, max: 1 });
    // pg-pool's end() resolves once it has ASKED its idle clients to end, not once they have; a
    // PostgreSQL stopping right after tells such a client 57P01 (admin shutdown), which the pool
    // re-emits as 'error' — an uncaught exception without a listener (seen: the dev CLI exiting
    // 1 on Ctrl-C, unhandled errors in a test that stops a stack).
    admin.on('error', (error) => log(`database admin pool: ${String(error)}`));
    stops.push(() => admin.end());
    const outbox = new PushOutbox();
    const ddb = dynamoClient(dynamo.endpoint);
    stops.push(async () => ddb.destroy());
    const logFunctions = levelFilter(options.logLevel ?? 'info', log);
    runtime = await TemplateRuntime.start({
      model,
      local,
      dynamo: ddb,
      s3Events: s3.server,
      secrets,
      secretsPort: secretsServer.port,
      endpoints: {
        S3: s3.endpoint,
        DYNAMODB: dynamo.endpoint,
        SQS: localUrl,
        SNS: localUrl,
        SECRETS_MANAGER: secretsServer.url,
      },
      database: {
        host: '127.0.0.1',
        port: postgres.port,
        createRole: async (role, password) => {
          const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
          if (exists.rowCount === 0) {
            const { rows } = await admin.query<{ sql: string }>(
              'SELECT format($$CREATE ROLE %I LOGIN$$, $1::text) AS sql',
              [role],
            );
            await admin.query(rows[0]?.sql ?? '');
          }
          await postgres.setPassword(role, password);
          // RDS's master user owns the database it was created with (and so its public schema).
          const owner = await admin.query<{ sql: string }>(
            'SELECT format($$ALTER DATABASE %I OWNER TO %I$$, $1::text, $2::text) AS sql',
            [postgres.database, role],
          );
          await admin.query(owner.rows[0]?.sql ?? '');
        },
      },
      publicCaFile: tls.publicCaFile,
      registerCredentials: (functionId, credentials) => {
        s3.registerAccessKey(credentials.accessKeyId, credentials.secretAccessKey);
        iam.registerCredentials(functionId, credentials);
      },
      externalSecrets: {
        SrvGwCredential: srvgwCredential,
        // What the operator loads after deploy: the key pair id and the private key (PEM).
        ...(distributions[0]?.keyPairId !== undefined && {
          Downloads: JSON.stringify({
            keyPairId: distributions[0].keyPairId,
            privateKey: signingKey.privateKeyPem,
          }),
        }),
      },
      extraEnvironment: {
        // Boundaries no local server can play and no template states: the FCM push outbox, and
        // the endpoint overrides of the handlers' configuration (path-style S3 for s3rver).
        HERALD_PUSH_OUTBOX_URL: `${localUrl}/_local/pushes`,
        HERALD_S3_ENDPOINT: s3.endpoint,
        HERALD_DYNAMODB_ENDPOINT: dynamo.endpoint,
        HERALD_SQS_ENDPOINT: localUrl,
      },
      ...(options.visibilityTimeoutMs !== undefined && { visibilityTimeoutMs: options.visibilityTimeoutMs }),
      log: logFunctions,
    });
    const started = runtime;
    stops.push(() => started.close());
    await started.runCustomResources();

    const queuesById = new Map<string, LocalQueue>();
    for (const [name, queue] of started.queues) {
      const entry = [...model.queues.values()].find(
        (q) => physicalName.queue(q.id, template.Resources[q.id] as CfnResource, stackName) === name,
      );
      const id = entry ? (constructPath(template.Resources[entry.id] as CfnResource)?.[0] ?? entry.id) : name;
      queuesById.set(id, queue);
    }

    const rotateDatabasePassword = async (): Promise<void> => {
      if (databaseSecretId === undefined) throw new Error('the template has no database secret');
      const arn = localResolver(template, local).ref(databaseSecretId, 'rotation');
      const current = JSON.parse(secrets.current(arn)) as { username: string; password: string };
      const next = {
        ...current,
        password: randomBytes(24).toString('base64url'),
      };
      // Single-user rotation: setSecret changes the password on the database, finishSecret makes
      // the new version current. In between, and until caches expire, clients hold the old one.
      await postgres.setPassword(current.username, next.password);
      secrets.put(arn, JSON.stringify(next));
    };

    const demo = await createDemoMiddleware({ log });
    stops.push(() => demo.close());
    route = (req, res) => {
      if (req.url?.startsWith('/_local/pushes')) return void handleOutboxRequest(outbox, req, res);
      if (req.headers['x-amz-target']) {
        return void handleSqsRequest(started.queues, req, res, iam).then((handled) => {
          if (!handled) res.writeHead(400).end();
        });
      }
      // Tests only: rotate the database credentials as Secrets Manager's rotation would.
      if (options.testControls && req.method === 'POST' && req.url === '/_local/rotate-database-password') {
        return void rotateDatabasePassword().then(
          () => res.writeHead(204).end(),
          (error: unknown) => res.writeHead(500).end(String(error)),
        );
      }
      const sns = /^\/_local\/sns\/([A-Za-z0-9-]+)$/.exec(req.url ?? '');
      if (sns && req.method === 'POST') return void publishToTopic(sns[1] as string, req, res);
      if (req.method === 'GET' && req.url === '/_local/info') {
        const info = {
          apiUrl: gateway.restUrl,
          wsUrl: gateway.wsUrl,
          identity: idp.issuer,
          users: idp.users.map((u) => u.username),
        };
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(info));
      }
      // Everything else at `/` is the web demo (built once on first request).
      void Promise.resolve(demo.handle(req, res)).then(
        (handled) => {
          if (handled) return;
          res
            .writeHead(404, { 'content-type': 'application/json' })
            .end(JSON.stringify(errorEnvelope('ROUTE_NOT_FOUND', 'Not found.')));
        },
        (error: unknown) => {
          log(`web demo: ${String(error)}`);
          if (!res.headersSent) res.writeHead(500).end();
          else res.destroy();
        },
      );
    };
    // SNS stand-in: `POST /_local/sns/{topic}` (construct id) invokes the topic's subscribers once,
    // as SNS would (without SNS's asynchronous retries). A signed request is authorized as
    // `sns:Publish` on the topic; an unsigned one is the developer at the local URL (the owner).
    const publishToTopic = async (topic: string, req: IncomingMessage, res: ServerResponse) => {
      const caller = signedCaller(req.headers, new URL(req.url ?? '/', localUrl).searchParams);
      const topicArn = started.topicArn(topic);
      const refusal = caller && topicArn ? iam.authorize(caller, [publishRequest(topicArn)]) : undefined;
      if (refusal) {
        res
          .writeHead(403, { 'content-type': 'application/json' })
          .end(JSON.stringify({ __type: 'AuthorizationError', message: refusal.message }));
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      try {
        const messageId = await started.publish(topic, Buffer.concat(chunks).toString('utf8'));
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ messageId }));
      } catch (error) {
        log(`sns ${topic}: ${String(error)}`);
        const unknown = error instanceof Error && error.message.startsWith('no topic');
        res
          .writeHead(unknown ? 404 : 500, { 'content-type': 'application/json' })
          .end(
            JSON.stringify(
              unknown ? errorEnvelope('NOT_FOUND', `No topic ${topic}.`) : errorEnvelope('INTERNAL'),
            ),
          );
      }
    };

    const tables: Record<string, string> = {};
    for (const table of model.tables.values()) {
      const resource = template.Resources[table.id] as CfnResource;
      tables[constructPath(resource)?.at(-1) ?? table.id] = physicalName.table(table.id, resource);
    }
    const bucketNamed = (key: string): string => {
      const found = buckets.find((b) => b.key === key);
      if (!found) throw new Error(`the template has no ${key} bucket (construct Buckets/${key})`);
      return found.name;
    };
    const databaseSecret = Object.entries(template.Resources).find(
      ([, r]) => r.Type === 'AWS::SecretsManager::SecretTargetAttachment',
    )?.[1];
    const databaseSecretId = (databaseSecret?.Properties?.SecretId as { Ref?: string } | undefined)?.Ref;

    lock.describe({ 'REST API': gateway.restUrl, WebSocket: gateway.wsUrl, Demo: `${localUrl}/` });
    return {
      apiUrl: gateway.restUrl,
      wsUrl: gateway.wsUrl,
      localUrl,
      managementEndpoint: gateway.managementEndpoint,
      postgres: { connectionString: postgres.connectionString },
      s3: {
        endpoint: s3.endpoint,
        buckets: { uploads: bucketNamed('uploads'), files: bucketNamed('files') },
      },
      dynamodb: { endpoint: dynamo.endpoint, tables },
      srvgw: { url: srvgw.url, credential: srvgwCredential },
      identity: { issuer: idp.issuer, jwksUri: idp.jwksUri, clientId: idp.clientId },
      queues: queuesById,
      queueUrls: Object.fromEntries(
        [...queuesById].map(([id, queue]) => [id, `${localUrl}/000000000000/${queue.name}`]),
      ),
      assemblyDir,
      iam: { refused: () => iam.refused(), report: () => iam.report() },
      issueToken: idp.issueToken,
      pushes: (filter) => outbox.list(filter),
      functionEnvironment(description) {
        const fn = [...model.functions.values()].find((f) => f.description === description);
        if (!fn) throw new Error(`no function ${description} in the template`);
        return started.environmentOf(fn.id) ?? {};
      },
      rotateDatabasePassword,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
