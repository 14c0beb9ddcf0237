/**
 * `@herald/files`: workflow 2 (file delivery) — grants, path safety, the SRV-GW client, the S3
 * cache, download links and `file.ready`. Lambda entry points are the subpath exports
 * `@herald/files/handlers/<name>`; migrations are `@herald/files/migrations`; this is the library
 * surface around them.
 */

export { PgGrantRepository, type PgGrantRepositoryOptions } from './adapters/pg-grant-repository.ts';
export {
  type FileEventPublisher,
  RealtimeFileNotifier,
  type RealtimeFileNotifierOptions,
} from './adapters/realtime-file-notifier.ts';
export { S3FileStore, type S3FileStoreOptions } from './adapters/s3-file-store.ts';
export { SqsFetchQueue, type SqsFetchQueueOptions } from './adapters/sqs-fetch-queue.ts';
export { SrvGwFileSource, type SrvGwFileSourceOptions } from './adapters/srvgw-file-source.ts';
export {
  buildDeliveryDeps,
  buildDeps,
  credentialProvider,
  type DeliveryDeps,
  type DeliveryDepsProvider,
  type DepsProvider,
  type FilesDeps,
  getDeliveryDeps,
  getDeps,
  resetDeps,
} from './compose.ts';
export {
  type FileDeliveryConfig,
  type FilesConfig,
  loadConfig,
  loadDeliveryConfig,
  type SrvGwCredentialSource,
} from './config.ts';
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
export {
  fileCacheKey,
  fileNameOf,
  normaliseFilePath,
  type PathCheck,
  type PathRule,
} from './core/file-path.ts';
export {
  DatabaseError,
  DeadlineExceededError,
  FilesError,
  FileTooLargeError,
  IncompleteTransferError,
  ObjectStoreError,
  QueueError,
  SourceNotFoundError,
  UnsupportedContentTypeError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from './errors.ts';
export { MIGRATIONS, MIGRATIONS_DIR } from './migrations.ts';
export type * from './ports.ts';
