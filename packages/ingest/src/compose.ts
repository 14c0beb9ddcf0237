import type { Clock, CorsPolicy, Logger, Metrics } from '@herald/runtime';
import { RealtimeNotifier } from './adapters/realtime-notifier.ts';
import { type BaseDeps, buildBaseDeps, getBaseDeps, resetBaseDeps } from './compose/base.ts';
import type { IngestConfig } from './config.ts';
import type { ProgressThrottleOptions } from './core/progress-throttle.ts';
import type {
  DatasetCatalog,
  JobRepository,
  JobWorkStore,
  MultipartStore,
  MultipartUploadRepository,
  Notifier,
  ObjectStore,
} from './ports.ts';

// The composition is split by weight: `compose/base.ts` builds the pool, the S3 client and the
// adapters every handler uses; this module adds the notifier, whose realtime publisher brings
// the DynamoDB and `@connections` clients and firebase-admin. Only the worker publishes, so only
// its entry file imports this module; the REST handlers import `compose/base.ts`.

/**
 * Everything the ingest handlers need. Handlers are built by factories taking a
 * {@link DepsProvider}, so tests pass fakes and Lambda passes {@link getDeps} (the worker) or
 * `getBaseDeps` (the REST handlers).
 */
export interface IngestDeps {
  readonly jobs: JobRepository;
  readonly work: JobWorkStore;
  readonly objects: ObjectStore;
  /** The uploads bucket's multipart API. */
  readonly multipart: MultipartStore;
  /** Which S3 multipart upload belongs to a job. */
  readonly uploads: MultipartUploadRepository;
  /** Files of at least this many bytes are uploaded in parts (`HERALD_MULTIPART_THRESHOLD_BYTES`). */
  readonly multipartThresholdBytes: number;
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

/** The base deps plus the job event notifier, publishing through their logger and metrics. */
function withNotifier(base: BaseDeps): IngestDeps {
  return { ...base, notifier: new RealtimeNotifier({ log: base.log, metrics: base.metrics }) };
}

/**
 * Builds the clients and adapters for a configuration. The only place that does, with
 * `compose/base.ts`.
 *
 * @example
 * const deps = buildDeps(loadConfig(process.env));
 */
export function buildDeps(config: IngestConfig): IngestDeps {
  return withNotifier(buildBaseDeps(config));
}

let deps: IngestDeps | undefined;

/**
 * The container's deps: config is read from `process.env` and clients are built on the FIRST
 * call (on the same base deps as `getBaseDeps`), then reused by every warm invocation. Reading
 * lazily (not at import) lets the local stack import the handler modules first and set the
 * environment afterwards.
 */
export const getDeps: DepsProvider = () => {
  deps ??= withNotifier(getBaseDeps());
  return deps;
};

/**
 * Forgets the built deps so the next invocation reads the environment again. For an
 * in-process host (the local stack) that restarts its servers on new ports; Lambda never needs it.
 */
export async function resetDeps(): Promise<void> {
  deps = undefined;
  await resetBaseDeps();
}
