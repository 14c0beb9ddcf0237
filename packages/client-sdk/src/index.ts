/**
 * `@herald/client-sdk`: the typed Herald client for browsers and Node.
 *
 * The core imports only TYPES from `@herald/protocol` (its zod schemas would triple the bundle);
 * server frames and REST answers are checked by small hand-written guards instead.
 */

// The wire types, for convenience; type-only, so no zod reaches the bundle.
export type {
  CreateTicketResponse,
  CreateUploadRequest,
  CreateUploadResponse,
  DevicePlatform,
  ErrorCode,
  ErrorEnvelope,
  FileReadyEvent,
  HeraldEvent,
  HeraldEventType,
  JobErrors,
  JobEvent,
  JobFailedEvent,
  JobList,
  JobProgressEvent,
  JobQueuedEvent,
  JobState,
  JobSucceededEvent,
  JobView,
  RegisterDeviceResponse,
  RowError,
} from '@herald/protocol';
export {
  type CallOptions,
  type CurrentUser,
  createHeraldClient,
  DEFAULT_TIMINGS,
  type FileLink,
  type FileLinkOptions,
  HeraldClient,
  type HeraldClientEvents,
  type HeraldClientOptions,
  type ListJobsOptions,
  type UploadOptions,
} from './client.ts';
export type { ConnectionState, RetryInfo, StateChange } from './connection.ts';
export type { Unsubscribe } from './emitter.ts';
export {
  type ClientErrorCode,
  describeRowError,
  HeraldClientError,
  type HeraldClientErrorOptions,
  type HeraldErrorCode,
  JobFailedError,
} from './errors.ts';
export {
  AUTH_CLOSE_CODES,
  HERALD_SUBPROTOCOL,
  type SocketEventMap,
  type WebSocketConstructor,
  type WebSocketLike,
} from './frames.ts';
export type { FetchLike, TokenProvider } from './http.ts';
export type {
  JobHandle,
  JobHandleEvents,
  JobPhase,
  JobProgress,
  JobResult,
  JobSnapshot,
  UploadHandle,
} from './job-handle.ts';
export type { SubscriptionTarget } from './tracker.ts';
export {
  createFetchUploader,
  createXhrUploader,
  type NodeReadableLike,
  type UploadBody,
  type Uploader,
  type UploadRequest,
  type XhrConstructor,
  type XhrLike,
} from './upload.ts';
