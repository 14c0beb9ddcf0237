/**
 * `@herald/ingest`: workflow 1 (CSV ingest). Lambda entry points are the subpath exports
 * `@herald/ingest/handlers/<name>`; migrations are `@herald/ingest/migrations`; this is the
 * library surface around them. File delivery (workflow 2) is `@herald/files`.
 */

export { PgDatasetCatalog, type PgDatasetCatalogOptions } from './adapters/pg-dataset-catalog.ts';
export {
  type CsvLoader,
  PgJobRepository,
  type PgJobRepositoryOptions,
} from './adapters/pg-job-repository.ts';
export {
  type EventPublisher,
  RealtimeNotifier,
  type RealtimeNotifierOptions,
} from './adapters/realtime-notifier.ts';
export { S3ObjectStore, type S3ObjectStoreOptions } from './adapters/s3-object-store.ts';
export {
  buildDeps,
  type DepsProvider,
  getDeps,
  type IngestDeps,
  resetDeps,
} from './compose.ts';
export { type IngestConfig, loadConfig } from './config.ts';
export { createUpload, UPLOAD_CONTENT_TYPE, UPLOAD_URL_TTL_SECONDS } from './core/create-upload.ts';
export { fileNameProblem } from './core/file-name.ts';
export { JobEventStream, SEQ_BLOCK, type SeqRange, seqBlockEndingAt } from './core/job-events.ts';
export { getJob, getJobErrors, listJobs, REPORT_URL_TTL_SECONDS, toJobView } from './core/job-queries.ts';
export {
  CLAIMABLE_STATES,
  canTransition,
  FINISHED_STATES,
  isClaimable,
  isFinished,
  JOB_TRANSITIONS,
} from './core/job-state.ts';
export type { CsvLoadRequest, LoadOutcome, LoadProgress, RowErrorDetail } from './core/load-contract.ts';
export {
  type Delivery,
  type IngestWorkerDeps,
  processIngestMessage,
  processUpload,
  type UploadOutcome,
} from './core/process-upload.ts';
export { ProgressThrottle, type ProgressThrottleOptions, progressFigures } from './core/progress-throttle.ts';
export { parseUploadKey, reportObjectKey, type UploadKey, uploadObjectKey } from './core/upload-key.ts';
export type { DatasetDefinition } from './datasets/types.ts';
export {
  DatabaseError,
  DatasetDeclarationError,
  DeadlineExceededError,
  IngestError,
  JobLockedError,
  ObjectStoreError,
} from './errors.ts';
export { MIGRATIONS, MIGRATIONS_DIR } from './migrations.ts';
export type * from './ports.ts';
