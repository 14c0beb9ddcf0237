import { randomBytes } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type Clock,
  type CorsPolicy,
  createJsonLogger,
  type Logger,
  lambdaExtensionSecrets,
  type Metrics,
  systemClock,
} from '@herald/runtime';
import { EmfMetrics } from '@herald/runtime/metrics-emf';
import { DynamoConnectionStore } from './adapters/dynamo-connection-store.ts';
import { DynamoDeviceStore } from './adapters/dynamo-device-store.ts';
import { DynamoJobEventLog } from './adapters/dynamo-job-event-log.ts';
import { DynamoSubscriptionStore } from './adapters/dynamo-subscription-store.ts';
import { DynamoTicketStore } from './adapters/dynamo-ticket-store.ts';
import { FcmPushSender, type MulticastMessaging } from './adapters/fcm-push-sender.ts';
import { JwtTokenVerifier } from './adapters/jwt-token-verifier.ts';
import { ManagementApiConnectionPoster } from './adapters/management-api-connection-poster.ts';
import { OutboxPushSender } from './adapters/outbox-push-sender.ts';
import {
  type FcmServiceAccount,
  loadConfig,
  loadPublisherConfig,
  type PublisherConfig,
  type PushConfig,
  type RealtimeConfig,
} from './config.ts';
import { createPublisher, type Publisher, type PublisherDeps } from './core/publisher.ts';
import type {
  ConnectionPoster,
  ConnectionStore,
  DeviceStore,
  JobEventLog,
  SubscriptionStore,
  TicketStore,
  TokenVerifier,
} from './ports.ts';

/**
 * Everything the realtime handlers need. Handlers are built by factories taking a
 * {@link DepsProvider}, so tests pass fakes and Lambda passes {@link getDeps}.
 */
export interface RealtimeDeps {
  readonly connections: ConnectionStore;
  readonly subscriptions: SubscriptionStore;
  readonly tickets: TicketStore;
  readonly devices: DeviceStore;
  readonly eventLog: JobEventLog;
  readonly poster: ConnectionPoster;
  readonly publisher: Publisher;
  readonly tokens: TokenVerifier;
  readonly clock: Clock;
  readonly log: Logger;
  /** Which browser origins the REST handlers answer with CORS headers (`HERALD_ALLOWED_ORIGINS`). */
  readonly cors: CorsPolicy;
  /** Flushed per invocation by the REST wrapper and `sns-notify`. */
  readonly metrics: Metrics;
  /** Cryptographically secure random bytes (tickets). */
  readonly randomBytes: (size: number) => Uint8Array;
  /** Lifetime of a connection item (`HERALD_CONNECTION_TTL_SECONDS`). */
  readonly connectionTtlSeconds: number;
  /** Push devices per user (`HERALD_MAX_DEVICES_PER_USER`). */
  readonly maxDevicesPerUser: number;
}

/** Supplies the deps at invocation time (never at import: the local stack sets the env later). */
export type DepsProvider<K extends keyof RealtimeDeps = keyof RealtimeDeps> = () => Pick<RealtimeDeps, K>;

/**
 * The `@connections` client. Built once per container: keep-alive sockets (enough for the
 * publisher's concurrency) so a fan-out does not pay a TCP + TLS handshake per post, and
 * `maxAttempts: 1` because the publisher retries itself, with jitter, counting attempts.
 * `cacheMiddleware` resolves the middleware stack once instead of on every PostToConnection
 * (measured: ~0.6 ms of CPU per call here). Safe for this plain client, whose commands carry
 * their input in the call; NOT for the DynamoDB document client, whose cached handler would
 * keep the first command's input.
 */
function managementClient(config: PublisherConfig): ApiGatewayManagementApiClient {
  const sockets = { keepAlive: true, maxSockets: config.publishConcurrency };
  return new ApiGatewayManagementApiClient({
    region: config.region,
    endpoint: config.wsManagementEndpoint,
    maxAttempts: 1,
    cacheMiddleware: true,
    requestHandler: {
      httpAgent: new HttpAgent(sockets),
      httpsAgent: new HttpsAgent(sockets),
      connectionTimeout: 3000,
      requestTimeout: 5000,
    },
  });
}

/** firebase-admin is imported at the first push only: it is large and most invocations never push. */
function lazyMessaging(load: () => Promise<FcmServiceAccount>): () => Promise<MulticastMessaging> {
  return async () => {
    const account = await load();
    const { cert, getApps, initializeApp } = await import('firebase-admin/app');
    const { getMessaging } = await import('firebase-admin/messaging');
    const name = 'herald-realtime';
    const app =
      getApps().find((a) => a.name === name) ??
      initializeApp({ credential: cert(account), projectId: account.projectId }, name);
    return getMessaging(app);
  };
}

function parseServiceAccount(json: string): FcmServiceAccount {
  const value = JSON.parse(json) as Record<string, unknown>;
  const { project_id: projectId, client_email: clientEmail, private_key: privateKey } = value;
  if (typeof projectId !== 'string' || typeof clientEmail !== 'string' || typeof privateKey !== 'string') {
    throw new Error('the FCM secret is not a service account JSON (project_id, client_email, private_key)');
  }
  return { projectId, clientEmail, privateKey };
}

function pushSender(push: PushConfig) {
  switch (push.provider) {
    case 'outbox':
      return new OutboxPushSender({ url: push.outboxUrl });
    case 'fcm':
      return new FcmPushSender({ messaging: lazyMessaging(async () => push.serviceAccount) });
    case 'fcm-secret':
      return new FcmPushSender({
        messaging: lazyMessaging(async () =>
          parseServiceAccount(await lambdaExtensionSecrets(process.env)(push.secretId)),
        ),
      });
  }
}

const SERVICE = 'herald-realtime';

function serviceLogger(config: PublisherConfig): Logger {
  return createJsonLogger({ service: SERVICE }, undefined, config.logLevel);
}

function serviceMetrics(log: Logger): Metrics {
  return new EmfMetrics({ service: SERVICE, log });
}

function documentClient(config: PublisherConfig): DynamoDBDocumentClient {
  // `endpoint` is undefined on AWS and points at dynalite locally: same code, other values.
  const dynamo = new DynamoDBClient({ region: config.region, endpoint: config.dynamodbEndpoint });
  return DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
}

/** What a host shares with the publisher it builds (see {@link getPublisher}). */
export interface PublisherHost {
  readonly documents?: DynamoDBDocumentClient;
  readonly log?: Logger;
  /** The host's metrics, so the host's invocation flushes the publisher's data points too. */
  readonly metrics?: Metrics;
}

/**
 * Builds the publisher's clients and adapters for a configuration.
 *
 * @example
 * const publisher = createPublisher(buildPublisherDeps(loadPublisherConfig(process.env)));
 */
export function buildPublisherDeps(config: PublisherConfig, shared: PublisherHost = {}): PublisherDeps {
  const documents = shared.documents ?? documentClient(config);
  const log = shared.log ?? serviceLogger(config);
  return {
    connections: new DynamoConnectionStore({ client: documents, tableName: config.connectionsTable }),
    poster: new ManagementApiConnectionPoster({ client: managementClient(config) }),
    eventLog: new DynamoJobEventLog({ client: documents, tableName: config.jobEventsTable }),
    devices: new DynamoDeviceStore({ client: documents, tableName: config.devicesTable }),
    push: pushSender(config.push),
    clock: systemClock,
    log,
    metrics: shared.metrics ?? serviceMetrics(log),
    concurrency: config.publishConcurrency,
    eventTtlSeconds: config.jobEventTtlSeconds,
  };
}

/**
 * Builds the clients and adapters for a configuration. The only place that does.
 *
 * @example
 * const deps = buildDeps(loadConfig(process.env));
 */
export function buildDeps(config: RealtimeConfig): RealtimeDeps {
  const documents = documentClient(config);
  const log = serviceLogger(config);
  const metrics = serviceMetrics(log);
  const publisherDeps = buildPublisherDeps(config, { documents, log, metrics });
  return {
    connections: publisherDeps.connections,
    subscriptions: new DynamoSubscriptionStore({ client: documents, tableName: config.connectionsTable }),
    tickets: new DynamoTicketStore({ client: documents, tableName: config.ticketsTable }),
    devices: publisherDeps.devices,
    eventLog: publisherDeps.eventLog,
    poster: publisherDeps.poster,
    publisher: createPublisher(publisherDeps),
    tokens: new JwtTokenVerifier(config.jwt),
    clock: systemClock,
    log,
    cors: { allowedOrigins: config.allowedOrigins },
    metrics,
    randomBytes: (size) => randomBytes(size),
    connectionTtlSeconds: config.connectionTtlSeconds,
    maxDevicesPerUser: config.maxDevicesPerUser,
  };
}

let deps: RealtimeDeps | undefined;
let publisher: Publisher | undefined;

/**
 * The container's deps: config is read from `process.env` and clients are built on the FIRST
 * call, then reused by every warm invocation. Reading lazily (not at import) lets the local
 * stack import the handler modules first and set the environment afterwards.
 */
export const getDeps: DepsProvider = () => {
  deps ??= buildDeps(loadConfig(process.env));
  return deps;
};

/**
 * The container's {@link Publisher}, for any Lambda that notifies users (the ingest worker, the
 * SNS subscriber): built from `process.env` at the first call (only the publisher's variables,
 * see `loadPublisherConfig`) and reused by every warm invocation. A host in another package
 * passes its metrics (`host.metrics`) so its own invocation flushes the publisher's; the host
 * of the first call wins.
 *
 * @throws ConfigError naming every missing or invalid variable.
 * @example
 * await getPublisher({ metrics }).publish(userId, event, { cacheConnectionsMs: 2000 });
 */
export function getPublisher(host: Pick<PublisherHost, 'metrics'> = {}): Publisher {
  publisher ??=
    deps?.publisher ?? createPublisher(buildPublisherDeps(loadPublisherConfig(process.env), host));
  return publisher;
}

/**
 * Forgets the built deps and publisher so the next invocation reads the environment again. For
 * an in-process host (the local stack) that restarts its servers on new ports; Lambda never needs it.
 */
export function resetDeps(): void {
  deps = undefined;
  publisher = undefined;
}
