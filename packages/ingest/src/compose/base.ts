import { randomUUID } from 'node:crypto';
import { ROUTES } from '@herald/protocol';
import { createJsonLogger, systemClock } from '@herald/runtime';
import { EmfMetrics } from '@herald/runtime/metrics-emf';
import { createS3Client } from '@herald/runtime/s3';
import { createRotatedPgPool } from '@herald/runtime/secrets-manager';
import { loadCsv } from '../adapters/pg-csv-loader.ts';
import { PgDatasetCatalog } from '../adapters/pg-dataset-catalog.ts';
import { PgJobRepository } from '../adapters/pg-job-repository.ts';
import { PgMultipartUploadRepository } from '../adapters/pg-multipart-upload-repository.ts';
import { S3MultipartStore } from '../adapters/s3-multipart-store.ts';
import { S3ObjectStore } from '../adapters/s3-object-store.ts';
import type { IngestDeps } from '../compose.ts';
import { type IngestConfig, loadConfig } from '../config.ts';

/**
 * Everything but the notifier: what the REST handlers use. The notifier (the realtime publisher,
 * with its FCM push sender) is added in `compose.ts`, which only the worker imports, so the REST
 * handlers' bundles carry no publisher.
 */
export type BaseDeps = Omit<IngestDeps, 'notifier'>;

const ingestQueue = ROUTES.queues.find(
  (q) => q.handler.package === 'ingest' && q.handler.name === 'sqs-ingest',
);

const SERVICE = 'herald-ingest';

/**
 * Builds the clients and adapters but the notifier for a configuration.
 *
 * @example
 * const { jobs, objects } = buildBaseDeps(loadConfig(process.env));
 */
export function buildBaseDeps(config: IngestConfig): BaseDeps {
  const log = createJsonLogger({ service: SERVICE }, undefined, config.logLevel);
  const metrics = new EmfMetrics({ service: SERVICE, log });
  // One small pool per container. On AWS a container serves one invocation at a time (the
  // worker holds one connection for its run, plus one for a short claim/mark); locally all
  // handlers share this process, hence a few more. The rotated password is read per new
  // connection, so a rotation needs no redeploy.
  const pool = createRotatedPgPool(
    { url: config.databaseUrl, secretId: config.databaseSecretId, max: config.databasePoolMax },
    process.env,
    log,
  );
  const s3 = createS3Client({ region: config.region, endpoint: config.s3Endpoint });
  const jobs = new PgJobRepository({ pool, loadCsv });
  return {
    jobs,
    work: jobs,
    objects: new S3ObjectStore({ client: s3, bucket: config.uploadsBucket }),
    multipart: new S3MultipartStore({ client: s3, bucket: config.uploadsBucket }),
    uploads: new PgMultipartUploadRepository({ pool }),
    multipartThresholdBytes: config.multipartThresholdBytes,
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

let base: BaseDeps | undefined;

/**
 * The container's {@link BaseDeps}: config is read from `process.env` and clients are built on
 * the FIRST call, then reused by every warm invocation. Reading lazily (not at import) lets the
 * local stack import the handler modules first and set the environment afterwards.
 *
 * @example
 * export const handler = makeHttpGetJobHandler(getBaseDeps);
 */
export function getBaseDeps(): BaseDeps {
  base ??= buildBaseDeps(loadConfig(process.env));
  return base;
}

/** Forgets the base deps and closes what they opened (`resetDeps` in `compose.ts` calls it). */
export async function resetBaseDeps(): Promise<void> {
  const previous = base;
  base = undefined;
  await previous?.close?.().catch(() => {});
}
