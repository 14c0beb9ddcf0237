/**
 * `@herald/ingest`: workflow 1 (CSV ingest) and workflow 2 (file delivery). Lambda entry points are the subpath exports
 * `@herald/ingest/handlers/<name>`; migrations are `@herald/ingest/migrations`; this is the
 * library surface around them.
 */

export { PgGrantRepository, type PgGrantRepositoryOptions } from './adapters/pg-grant-repository.ts';
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
export { S3FileStore, type S3FileStoreOptions } from './adapters/s3-file-store.ts';
export { S3ObjectStore, type S3ObjectStoreOptions } from './adapters/s3-object-store.ts';
export { SqsFetchQueue, type SqsFetchQueueOptions } from './adapters/sqs-fetch-queue.ts';
export { SrvGwFileSource, type SrvGwFileSourceOptions } from './adapters/srvgw-file-source.ts';
export {
  buildDeps,
  buildFileDeps,
  credentialProvider,
  type DepsProvider,
  datasetCatalog,
  type FileDeps,
  type FileDepsProvider,
  getDeps,
  getFileDeps,
  type IngestDeps,
  resetDeps,
} from './compose.ts';
export {
  type FileDeliveryConfig,
  type IngestConfig,
  loadConfig,
  loadFileConfig,
  type SrvGwCredentialSource,
} from './config.ts';
export { createUpload, UPLOAD_CONTENT_TYPE, UPLOAD_URL_TTL_SECONDS } from './core/create-upload.ts';
export { DEFAULT_SRVGW_RETRY } from './core/file-backoff.ts';
export { type CachePlan, planCache } from './core/file-cache.ts';
export {
  DEFAULT_ALLOWED_CONTENT_TYPES,
  isAllowedContentType,
  parseAllowlist,
  parseContentType,
} from './core/file-content-type.ts';
export { contentDisposition, downloadFileName } from './core/file-disposition.ts';
export { type CacheOutcome, type FileDeliverySettings, fetchIntoCache } from './core/file-fetch.ts';
export {
  type FileFetchMessage,
  FileFetchMessageSchema,
  parseFileFetchMessage,
} from './core/file-fetch-message.ts';
export { createGrant, deleteGrant, listGrants, requireAdmin, toFileGrant } from './core/file-grant-admin.ts';
export {
  type AccessDecision,
  ADMIN_GROUP,
  type Caller,
  checkGrant,
  decideAccess,
  EVERYONE,
  HOME_ROOT,
  homePrefix,
  prefixCovers,
} from './core/file-grants.ts';
export {
  authorizeFile,
  type FileLinkDeps,
  type FileLinkOutcome,
  processFileFetch,
  RETRY_AFTER_SECONDS,
  refusalFor,
  requestFileLink,
} from './core/file-link.ts';
export { fileNameProblem } from './core/file-name.ts';
export {
  fileCacheKey,
  fileNameOf,
  normaliseFilePath,
  type PathCheck,
  type PathRule,
} from './core/file-path.ts';
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
  DeadlineExceededError,
  FileTooLargeError,
  IncompleteTransferError,
  IngestError,
  JobLockedError,
  ObjectStoreError,
  QueueError,
  SourceNotFoundError,
  UnsupportedContentTypeError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from './errors.ts';
export { MIGRATIONS, MIGRATIONS_DIR } from './migrations.ts';
export type * from './ports.ts';
