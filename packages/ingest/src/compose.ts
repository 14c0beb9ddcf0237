import { randomUUID } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ROUTES } from '@herald/protocol';
import {
  type Clock,
  createJsonLogger,
  databaseSecretPassword,
  delay,
  type Logger,
  lambdaExtensionSecrets,
  type Metrics,
  SecretUnavailableError,
  systemClock,
} from '@herald/runtime';
import { EmfMetrics } from '@herald/runtime/metrics-emf';
import { createPgPool } from '@herald/runtime/pg';
import { createS3Client } from '@herald/runtime/s3';
import { loadCsv } from './adapters/pg-csv-loader.ts';
import { PgGrantRepository } from './adapters/pg-grant-repository.ts';
import { PgJobRepository } from './adapters/pg-job-repository.ts';
import { RealtimeNotifier } from './adapters/realtime-notifier.ts';
import { S3FileStore } from './adapters/s3-file-store.ts';
import { S3ObjectStore } from './adapters/s3-object-store.ts';
import { SqsFetchQueue } from './adapters/sqs-fetch-queue.ts';
import { SrvGwFileSource } from './adapters/srvgw-file-source.ts';
import {
  type FileDeliveryConfig,
  type IngestConfig,
  loadConfig,
  loadFileConfig,
  type SrvGwCredentialSource,
} from './config.ts';
import type { FileLinkDeps } from './core/file-link.ts';
import type { ProgressThrottleOptions } from './core/progress-throttle.ts';
import { DATASETS, findDataset } from './datasets/index.ts';
import type {
  DatasetCatalog,
  GrantRepository,
  JobRepository,
  JobWorkStore,
  Notifier,
  ObjectStore,
} from './ports.ts';

/**
 * Everything the ingest handlers need. Handlers are built by factories taking a
 * {@link DepsProvider}, so tests pass fakes and Lambda passes {@link getDeps}.
 */
export interface IngestDeps {
  readonly jobs: JobRepository;
  readonly work: JobWorkStore;
  readonly objects: ObjectStore;
  readonly notifier: Notifier;
  /** The file grants table (the admin routes; file delivery reads it through {@link FileDeps}). */
  readonly grants: GrantRepository;
  readonly datasets: DatasetCatalog;
  readonly clock: Clock;
  readonly log: Logger;
  /** Jobs by outcome, rows and durations (the worker), publishes; flushed per invocation. */
  readonly metrics: Metrics;
  /** New job ids (random UUIDs). */
  readonly newId: () => string;
  /** Physical name of the uploads bucket (`HERALD_UPLOADS_BUCKET`). */
  readonly uploadsBucket: string;
  readonly progress: ProgressThrottleOptions;
  /** Receives after which the ingest queue dead-letters a message (from the route table). */
  readonly maxReceives: number;
  /** The worker's timeout (from the route table), for a caller that passes no Lambda context. */
  readonly workerTimeoutMs: number;
  /** Releases what {@link buildDeps} opened (the pool, the S3 client's sockets). */
  readonly close?: () => Promise<void>;
}

/** Supplies the deps at invocation time (never at import: the local stack sets the env later). */
export type DepsProvider<K extends keyof IngestDeps = keyof IngestDeps> = () => Pick<IngestDeps, K>;

const ingestQueue = ROUTES.queues.find(
  (q) => q.handler.package === 'ingest' && q.handler.name === 'sqs-ingest',
);

const SERVICE = 'herald-ingest';

/** The datasets declared in `src/datasets/`. */
export const datasetCatalog: DatasetCatalog = {
  find: (name) => findDataset(name),
  names: () => DATASETS.map((dataset) => dataset.name),
};

/**
 * Builds the clients and adapters for a configuration. The only place that does.
 *
 * @example
 * const deps = buildDeps(loadConfig(process.env));
 */
export function buildDeps(config: IngestConfig): IngestDeps {
  const log = createJsonLogger({ service: SERVICE }, undefined, config.logLevel);
  const metrics = new EmfMetrics({ service: SERVICE, log });
  // One small pool per container. On AWS a container serves one invocation at a time (the
  // worker holds one connection for its run, plus one for a short claim/mark); locally all
  // handlers share this process, hence a few more. The rotated password is read per new
  // connection, so a rotation needs no redeploy.
  const pool = createPgPool(
    {
      url: config.databaseUrl,
      ...(config.databaseSecretId !== undefined && {
        password: databaseSecretPassword(config.databaseSecretId, lambdaExtensionSecrets(process.env)),
      }),
      max: config.databasePoolMax,
    },
    log,
  );
  const s3 = createS3Client({ region: config.region, endpoint: config.s3Endpoint });
  const jobs = new PgJobRepository({ pool, loadCsv });
  const notifier = new RealtimeNotifier({ log, metrics });
  const grants = new PgGrantRepository({ pool });
  const deps: IngestDeps = {
    jobs,
    work: jobs,
    objects: new S3ObjectStore({ client: s3, bucket: config.uploadsBucket }),
    notifier,
    grants,
    datasets: datasetCatalog,
    clock: systemClock,
    log,
    metrics,
    newId: randomUUID,
    uploadsBucket: config.uploadsBucket,
    progress: config.progress,
    maxReceives: ingestQueue?.maxReceiveCount ?? 3,
    workerTimeoutMs: (ingestQueue?.timeoutSeconds ?? 900) * 1000,
    close: async () => {
      s3.destroy();
      await pool.end();
    },
  };
  shared.set(deps, { s3, notifier, region: config.region });
  return deps;
}

/** The clients of built deps that file delivery reuses (one S3 client and pool per container). */
const shared = new WeakMap<
  IngestDeps,
  { readonly s3: S3Client; readonly notifier: RealtimeNotifier; readonly region: string }
>();

/** Everything the file delivery handlers need (`POST /files/links`, the fetch worker). */
export interface FileDeps extends FileLinkDeps {
  readonly log: Logger;
  /** Receives after which `FileFetchQueue` dead-letters a message (from the route table). */
  readonly maxReceives: number;
  /** The fetch worker's timeout (from the route table), for a caller that passes no Lambda context. */
  readonly workerTimeoutMs: number;
  /** Releases what {@link buildFileDeps} opened (the SQS client, SRV-GW sockets). */
  readonly close?: () => Promise<void>;
}

/** Supplies the file deps at invocation time. */
export type FileDepsProvider<K extends keyof FileDeps = keyof FileDeps> = () => Pick<FileDeps, K>;

const fetchQueue = ROUTES.queues.find(
  (q) => q.handler.package === 'ingest' && q.handler.name === 'sqs-fetch-file',
);

/**
 * The SRV-GW credential, resolved ONCE per container: the plain value, or the Secrets Manager
 * secret read through the AWS Parameters and Secrets Lambda Extension (the layer must be
 * attached; the function needs `secretsmanager:GetSecretValue` on that secret). The secret's
 * `SecretString` is the credential itself, or JSON `{"credential": "…"}`. A failed read is not
 * cached, so the next request tries again.
 */
export function credentialProvider(
  source: SrvGwCredentialSource,
  read: (secretId: string) => Promise<string> = lambdaExtensionSecrets(process.env),
): () => Promise<string> {
  if (source.kind === 'plain') {
    const value = source.value;
    return async () => value;
  }
  let pending: Promise<string> | undefined;
  return () => {
    pending ??= read(source.secretId)
      .then(credentialFromSecret)
      .catch((error: unknown) => {
        pending = undefined;
        throw new SecretUnavailableError('the SRV-GW credential could not be read from Secrets Manager', {
          cause: error,
          retryable: (error as { retryable?: unknown })?.retryable !== false,
        });
      });
    return pending;
  };
}

function credentialFromSecret(secret: string): string {
  const text = secret.trim();
  if (text.startsWith('{')) {
    const parsed = JSON.parse(text) as { credential?: unknown };
    if (typeof parsed.credential !== 'string' || parsed.credential === '') {
      throw new Error('the SRV-GW secret is JSON without a "credential" string');
    }
    return parsed.credential;
  }
  if (text === '') throw new Error('the SRV-GW secret is empty');
  return text;
}

/**
 * Builds file delivery's clients and adapters on top of built deps (reusing their pool, S3
 * client, logger and notifier). The only place that does.
 *
 * @example
 * const files = buildFileDeps(buildDeps(loadConfig(process.env)), loadFileConfig(process.env));
 */
export function buildFileDeps(base: IngestDeps, config: FileDeliveryConfig): FileDeps {
  const clients = shared.get(base);
  if (clients === undefined) throw new TypeError('buildFileDeps needs deps made by buildDeps');
  // `endpoint` is undefined on AWS and the local stack's SendMessage server locally.
  const sqs = new SQSClient({ region: clients.region, endpoint: config.sqsEndpoint });
  const agent = config.srvgwUrl.startsWith('https:')
    ? new HttpsAgent({ keepAlive: true, maxSockets: 16 })
    : new HttpAgent({ keepAlive: true, maxSockets: 16 });
  return {
    grants: base.grants,
    files: new S3FileStore({ client: clients.s3, bucket: config.filesBucket }),
    source: new SrvGwFileSource({
      baseUrl: config.srvgwUrl,
      credential: credentialProvider(config.srvgwCredential),
      connectTimeoutMs: config.connectTimeoutMs,
      idleTimeoutMs: config.idleTimeoutMs,
      agent,
    }),
    fetchQueue: new SqsFetchQueue({ client: sqs, queueUrl: config.fetchQueueUrl }),
    notifier: clients.notifier,
    clock: base.clock,
    log: base.log,
    metrics: base.metrics,
    newId: base.newId,
    delivery: config.delivery,
    random: Math.random,
    sleep: delay,
    maxReceives: fetchQueue?.maxReceiveCount ?? 3,
    workerTimeoutMs: (fetchQueue?.timeoutSeconds ?? 300) * 1000,
    close: async () => {
      sqs.destroy();
      agent.destroy();
    },
  };
}

let deps: IngestDeps | undefined;
let fileDeps: FileDeps | undefined;

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
 * Forgets the built deps so the next invocation reads the environment again. For an
 * in-process host (the local stack) that restarts its servers on new ports; Lambda never needs it.
 */
export async function resetDeps(): Promise<void> {
  const previous = deps;
  const previousFiles = fileDeps;
  deps = undefined;
  fileDeps = undefined;
  await previousFiles?.close?.().catch(() => {});
  await previous?.close?.().catch(() => {});
}

/**
 * The container's file delivery deps: built at the first file request from `process.env`
 * ({@link loadFileConfig}; a missing variable fails that request naming it), on top of
 * {@link getDeps}, then reused.
 */
export const getFileDeps: FileDepsProvider = () => {
  fileDeps ??= buildFileDeps(getDeps() as IngestDeps, loadFileConfig(process.env));
  return fileDeps;
};
