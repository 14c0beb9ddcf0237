/**
 * `@herald/client-sdk`: the typed Herald client for browsers and Node.
 *
 * The core imports only `@herald/protocol/wire`: the wire facts without zod (its schemas would
 * triple the bundle). REST calls are typed from the route contracts; server frames and REST
 * answers are checked by small hand-written guards instead of the schemas.
 */

// The wire facts and types, for convenience; the types are type-only, so no zod reaches the bundle.
export {
  AUTH_CLOSE_CODES,
  type CreateTicketResponse,
  type CreateUploadRequest,
  type CreateUploadResponse,
  type CurrentUser,
  type DevicePlatform,
  type ErrorCode,
  type ErrorEnvelope,
  type FileLink,
  type FileReadyEvent,
  HERALD_SUBPROTOCOL,
  type HeraldEvent,
  type HeraldEventType,
  type JobErrors,
  type JobEvent,
  type JobFailedEvent,
  type JobList,
  type JobProgressEvent,
  type JobQueuedEvent,
  type JobState,
  type JobSucceededEvent,
  type JobView,
  type RegisterDeviceResponse,
  type RestRequest,
  type RestResponse,
  type RestRouteName,
  type RowError,
} from '@herald/protocol/wire';
// Browser builds get a stand-in that refuses (the `browser` condition of `#fetch-uploader`).
export { createFetchUploader } from '#fetch-uploader';
export {
  createHeraldClient,
  type FileLinkOptions,
  HeraldClient,
  type HeraldClientEvents,
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
export type { SocketEventMap, WebSocketConstructor, WebSocketLike } from './frames.ts';
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
export { DEFAULT_TIMINGS, type HeraldClientOptions } from './options.ts';
export type {
  AdminRouteName,
  CallOptions,
  CoreRouteName,
  DeviceRouteName,
  MultipartRouteName,
  RestApi,
  RestCall,
} from './rest.ts';
export type { SubscriptionTarget } from './tracker.ts';
export {
  createXhrUploader,
  type MultipartRequest,
  type MultipartUploader,
  type NodeReadableLike,
  type UploadBody,
  type Uploader,
  type UploadRequest,
  type XhrConstructor,
  type XhrLike,
} from './upload.ts';
