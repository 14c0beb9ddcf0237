import { randomUUID } from 'node:crypto';
import { ROUTES } from '@herald/protocol';
import {
  type Clock,
  type CorsPolicy,
  createJsonLogger,
  type Logger,
  type Metrics,
  systemClock,
} from '@herald/runtime';
import { EmfMetrics } from '@herald/runtime/metrics-emf';
import { createPgPool } from '@herald/runtime/pg';
import { createS3Client } from '@herald/runtime/s3';
import { rotatedDatabasePassword } from '@herald/runtime/secrets-manager';
import { loadCsv } from './adapters/pg-csv-loader.ts';
import { PgDatasetCatalog } from './adapters/pg-dataset-catalog.ts';
import { PgJobRepository } from './adapters/pg-job-repository.ts';
import { RealtimeNotifier } from './adapters/realtime-notifier.ts';
import { S3ObjectStore } from './adapters/s3-object-store.ts';
import { type IngestConfig, loadConfig } from './config.ts';
import type { ProgressThrottleOptions } from './core/progress-throttle.ts';
import type { DatasetCatalog, JobRepository, JobWorkStore, Notifier, ObjectStore } from './ports.ts';

/**
 * Everything the ingest handlers need. Handlers are built by factories taking a
 * {@link DepsProvider}, so tests pass fakes and Lambda passes {@link getDeps}.
 */
export interface IngestDeps {
  readonly jobs: JobRepository;
  readonly work: JobWorkStore;
  readonly objects: ObjectStore;
  readonly notifier: Notifier;
  readonly datasets: DatasetCatalog;
  readonly clock: Clock;
  readonly log: Logger;
  /** Which browser origins the REST handlers answer with CORS headers (`HERALD_ALLOWED_ORIGINS`). */
  readonly cors: CorsPolicy;
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
        password: rotatedDatabasePassword(config.databaseSecretId, process.env),
      }),
      max: config.databasePoolMax,
    },
    log,
  );
  const s3 = createS3Client({ region: config.region, endpoint: config.s3Endpoint });
  const jobs = new PgJobRepository({ pool, loadCsv });
  return {
    jobs,
    work: jobs,
    objects: new S3ObjectStore({ client: s3, bucket: config.uploadsBucket }),
    notifier: new RealtimeNotifier({ log, metrics }),
    // What the dataset migrations recorded: the declaration always matches its table.
    datasets: new PgDatasetCatalog({ pool }),
    clock: systemClock,
    log,
    cors: { allowedOrigins: config.allowedOrigins },
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
}

let deps: IngestDeps | undefined;

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
  deps = undefined;
  await previous?.close?.().catch(() => {});
}
