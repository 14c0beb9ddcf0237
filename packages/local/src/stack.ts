import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resetDeps as resetFilesDeps } from '@herald/files';
import { MIGRATIONS as FILES_MIGRATIONS } from '@herald/files/migrations';
import { resetDeps as resetIngestDeps } from '@herald/ingest';
import { MIGRATIONS as INGEST_MIGRATIONS } from '@herald/ingest/migrations';
import { errorEnvelope, type HandlerRef, queueUrlVariable, ROUTES, type RouteTable } from '@herald/protocol';
import { migrate } from '@herald/runtime/migrations';
import pg from 'pg';
import { createDemoMiddleware } from './demo.ts';
import { createTables, dynamoClient, startDynamo } from './dynamodb.ts';
import { createLocalGateway } from './gateway/index.ts';
import { type IssueTokenOptions, startIdentityProvider } from './identity.ts';
import { invokeWithTimeout } from './lambda.ts';
import { startPostgres } from './postgres.ts';
import { handleOutboxRequest, PushOutbox } from './push-outbox.ts';
import { LocalQueue } from './queue.ts';
import { startS3 } from './s3.ts';
import { wireS3EventsToQueue } from './s3-events.ts';
import { snsEvent } from './sns.ts';
import { handleSqsRequest } from './sqs-endpoint.ts';
import { startSampleSrvGw } from './srvgw.ts';
import { startSrvGwWithControls } from './testing/srvgw-controls.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DEFAULT_DATA_DIR = join(REPO_ROOT, '.herald');
export const SAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'samples');

/** Logical bucket names → physical names; the CDK app uses the same logical names. */
export const BUCKETS = { uploads: 'herald-uploads', files: 'herald-files' } as const;

export interface LocalStackOptions {
  /** Folder for all state (database, objects, tables, keys). Default `<repo>/.herald`. */
  readonly dataDir?: string;
  /** Wipe `dataDir` first. */
  readonly fresh?: boolean;
  readonly log?: (line: string) => void;
  /** WebSocket idle timeout and maximum age; AWS's are 10 min and 2 h. */
  readonly idleTimeoutMs?: number;
  readonly maxConnectionAgeMs?: number;
  /** The queue's visibility timeout; default 6× the worker timeout, as on AWS. */
  readonly visibilityTimeoutMs?: number;
  /**
   * Serve the sample SRV-GW's test-only `/_control/` endpoint (faults, counters, scratch files).
   * Tests turn it on; `npm run dev` leaves it off. Default false.
   */
  readonly testControls?: boolean;
  /** Lowest level the handlers log (`HERALD_LOG_LEVEL`); default `info`. */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** The route table to serve (tests may pass their own). Default: the shared `ROUTES`. */
  readonly routes?: RouteTable;
}

export interface LocalStack {
  readonly apiUrl: string;
  readonly wsUrl: string;
  /** Serves `GET /_local/pushes` (the FCM stand-in) and `GET /_local/info`. */
  readonly localUrl: string;
  readonly managementEndpoint: string;
  readonly postgres: { readonly connectionString: string };
  readonly s3: { readonly endpoint: string; readonly buckets: typeof BUCKETS };
  readonly dynamodb: { readonly endpoint: string; readonly tables: Record<string, string> };
  readonly srvgw: { readonly url: string; readonly credential: string };
  readonly identity: { readonly issuer: string; readonly jwksUri: string; readonly clientId: string };
  readonly queues: ReadonlyMap<string, LocalQueue>;
  issueToken(username: string, options?: IssueTokenOptions): Promise<string>;
  pushes: PushOutbox['list'];
  /** The environment the handlers run with (what Lambda configuration would hold). */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

let running = false;

/** `HERALD_<ID>_TABLE` for every table: `JobEvents` → `HERALD_JOB_EVENTS_TABLE`. */
function tableEnv(tables: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tables).map(([id, name]) => [
      `HERALD_${id.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}_TABLE`,
      name,
    ]),
  );
}

/** Imports `@herald/<package>/handlers/<name>` and calls its `handler` like Lambda would. */
async function invokeHandler(ref: HandlerRef, event: unknown, timeoutMs: number): Promise<unknown> {
  const mod = (await import(`@herald/${ref.package}/handlers/${ref.name}`)) as {
    handler?: (event: unknown, context: unknown) => Promise<unknown>;
  };
  if (typeof mod.handler !== 'function') throw new Error(`${ref.package}/${ref.name} exports no handler`);
  return invokeWithTimeout(mod.handler, event, { functionName: `${ref.package}-${ref.name}`, timeoutMs });
}

/**
 * Starts the whole local stack: real PostgreSQL, S3 (s3rver), DynamoDB (dynalite), a local
 * identity provider, the sample SRV-GW, the push outbox, the local queue(s) and the API Gateway
 * emulator serving the shared route table with the SAME handlers AWS runs.
 *
 * Handlers read their configuration from `process.env`, as on Lambda; this sets it, so one
 * process runs one stack.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  if (running)
    throw new Error('a local stack is already running in this process (handlers share process.env)');
  running = true;
  const log = options.log ?? (() => {});
  const routes = options.routes ?? ROUTES;
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  if (options.fresh) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });

  const stops: Array<() => Promise<unknown>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((e: unknown) => log(`stop: ${String(e)}`));
    running = false;
  };

  try {
    const srvgwCredential = 'local-srvgw-credential';
    const [postgres, s3, dynamo, idp, srvgw] = await Promise.all([
      startPostgres({ dataDir: join(dataDir, 'postgres'), log }),
      startS3({ dataDir: join(dataDir, 's3'), buckets: Object.values(BUCKETS) }),
      startDynamo({ dataDir: join(dataDir, 'dynamodb') }),
      startIdentityProvider({ keyFile: join(dataDir, 'identity', 'signing-key.json') }),
      (options.testControls ? startSrvGwWithControls : startSampleSrvGw)({
        root: SAMPLES_DIR,
        credential: srvgwCredential,
      }),
    ]);
    stops.push(postgres.stop, s3.stop, dynamo.stop, idp.close, srvgw.close);
    // The in-process handlers' container state (database pool, clients) goes before the servers:
    // a pool outliving PostgreSQL logs every idle connection it loses, and a stack started
    // again in this process must not reuse clients of the old one.
    stops.push(resetIngestDeps, resetFilesDeps);

    const db = new pg.Client({ connectionString: postgres.connectionString });
    await db.connect();
    try {
      const applied = await migrate(db, { sources: [INGEST_MIGRATIONS, FILES_MIGRATIONS] });
      if (applied.length > 0) log(`applied migrations ${applied.join(', ')}`);
    } finally {
      await db.end();
    }

    const ddb = dynamoClient(dynamo.endpoint);
    const tables = await createTables(ddb, 'herald-local-');
    ddb.destroy();

    const gateway = await createLocalGateway({
      routes,
      invoke: (ref, event) => invokeHandler(ref, event, 30_000),
      verifyToken: idp.verify,
      ...(options.idleTimeoutMs !== undefined && { idleTimeoutMs: options.idleTimeoutMs }),
      ...(options.maxConnectionAgeMs !== undefined && { maxConnectionAgeMs: options.maxConnectionAgeMs }),
      log: (entry) => log(JSON.stringify(entry)),
    });
    stops.push(gateway.close);

    const queues = new Map<string, LocalQueue>();
    const outbox = new PushOutbox();
    const demo = await createDemoMiddleware({ log });
    stops.push(() => demo.close());
    const control: Server = createServer((req, res) => {
      if (req.url?.startsWith('/_local/pushes')) return void handleOutboxRequest(outbox, req, res);
      if (req.headers['x-amz-target']) {
        return void handleSqsRequest(queues, req, res).then((handled) => {
          if (!handled) res.writeHead(400).end();
        });
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
    });
    // SNS stand-in: `POST /_local/sns/{topicId}` with the message as the body invokes the topic's
    // subscriber once, as SNS would (without SNS's async retries).
    const publishToTopic = async (topicId: string, req: IncomingMessage, res: ServerResponse) => {
      const topic = routes.topics.find((t) => t.id === topicId);
      if (!topic)
        return void res
          .writeHead(404)
          .end(JSON.stringify(errorEnvelope('NOT_FOUND', `No topic ${topicId}.`)));
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const event = snsEvent(topicId, Buffer.concat(chunks).toString('utf8'));
      try {
        await invokeHandler(topic.handler, event, 30_000);
        res
          .writeHead(202, { 'content-type': 'application/json' })
          .end(JSON.stringify({ messageId: event.Records[0]?.Sns.MessageId }));
      } catch (error) {
        log(`sns ${topicId}: ${String(error)}`);
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify(errorEnvelope('INTERNAL')));
      }
    };
    await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
    stops.push(
      () =>
        new Promise<void>((resolve) => {
          control.closeAllConnections();
          control.close(() => resolve());
        }),
    );
    const localUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;

    // What the CDK app puts in each Lambda's environment; only the values differ on AWS.
    const env: Record<string, string> = {
      AWS_REGION: 'us-east-1',
      HERALD_LOG_LEVEL: options.logLevel ?? 'info',
      // s3rver accepts only its own key pair (dynalite and the gateway accept any). Explicit keys
      // also keep a developer's real AWS profile from being picked up by the SDK's chain.
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      ...tableEnv(tables),
      HERALD_DYNAMODB_ENDPOINT: dynamo.endpoint,
      HERALD_WS_MANAGEMENT_ENDPOINT: gateway.managementEndpoint,
      HERALD_JWT_ISSUER: idp.issuer,
      HERALD_JWT_AUDIENCE: idp.clientId,
      HERALD_JWKS_URI: idp.jwksUri,
      HERALD_DATABASE_URL: postgres.connectionString,
      HERALD_S3_ENDPOINT: s3.endpoint,
      HERALD_UPLOADS_BUCKET: BUCKETS.uploads,
      HERALD_FILES_BUCKET: BUCKETS.files,
      HERALD_SRVGW_URL: srvgw.url,
      HERALD_SRVGW_CREDENTIAL: srvgwCredential,
      HERALD_PUSH_OUTBOX_URL: `${localUrl}/_local/pushes`,
      HERALD_SQS_ENDPOINT: localUrl,
      // The handlers record metrics as on AWS, but their EMF lines (CloudWatch's input) would
      // flood this process's output: nothing reads them locally.
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    // Source-less queues are fed by handlers through SQS SendMessage on the control server.
    for (const q of routes.queues)
      if (!q.source) env[queueUrlVariable(q.id)] = `${localUrl}/000000000000/${q.id}`;
    Object.assign(process.env, env);

    for (const q of routes.queues) {
      const queue = new LocalQueue({
        name: q.id,
        handler: (event) => invokeHandler(q.handler, event, q.timeoutSeconds * 1000) as never,
        visibilityTimeoutMs: options.visibilityTimeoutMs ?? q.timeoutSeconds * 6 * 1000,
        maxReceiveCount: q.maxReceiveCount,
        batchSize: q.batchSize,
      });
      if (q.source) {
        const bucket = BUCKETS[q.source.bucket as keyof typeof BUCKETS];
        if (!bucket) throw new Error(`queue ${q.id}: unknown bucket "${q.source.bucket}"`);
        wireS3EventsToQueue(s3.server, { bucket, prefix: q.source.prefix, queue });
      }
      queues.set(q.id, queue);
      stops.push(async () => queue.close());
    }

    return {
      apiUrl: gateway.restUrl,
      wsUrl: gateway.wsUrl,
      localUrl,
      managementEndpoint: gateway.managementEndpoint,
      postgres: { connectionString: postgres.connectionString },
      s3: { endpoint: s3.endpoint, buckets: BUCKETS },
      dynamodb: { endpoint: dynamo.endpoint, tables },
      srvgw: { url: srvgw.url, credential: srvgwCredential },
      identity: { issuer: idp.issuer, jwksUri: idp.jwksUri, clientId: idp.clientId },
      queues,
      issueToken: idp.issueToken,
      pushes: (filter) => outbox.list(filter),
      env,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
