/**
 * `@herald/protocol/wire`: the wire facts a client needs, without zod. The client SDK imports
 * only this entry, so none of the zod schemas reach a browser bundle (they would add ~15 kB
 * gzipped): plain values (the subprotocol name, close codes, API Gateway limits, where each REST
 * route lives and how to fill its path), the terminal-event test, and TYPES inferred from the
 * schemas and route contracts. A unit test bundles this entry and fails if zod appears in it.
 *
 * Values come only from zod-free modules (`limits.ts`, `rest-endpoints.ts`, `terminal.ts`,
 * `ws-connection.ts`); whatever comes from a module with zod schemas is `export type`, which
 * bundlers erase.
 */

export type { ErrorCode, ErrorDetails, ErrorEnvelope } from './errors.ts';
export type {
  FileReadyEvent,
  HeraldEvent,
  HeraldEventType,
  JobCancelledEvent,
  JobEvent,
  JobFailedEvent,
  JobProgressEvent,
  JobQueuedEvent,
  JobSucceededEvent,
  JobValidatedEvent,
  RowError,
  TerminalEvent,
} from './events.ts';
export { LIMITS, MULTIPART_LIMITS } from './limits.ts';
export type {
  CreateTicketResponse,
  DevicePlatform,
  RegisterDeviceRequest,
  RegisterDeviceResponse,
} from './realtime-rest.ts';
export type {
  CreateFileGrantRequest,
  CreateFileLinkRequest,
  CreateUploadRequest,
  CreateUploadResponse,
  CurrentUser,
  FileGrant,
  FileGrantList,
  FileLink,
  FileLinkPending,
  JobErrors,
  JobList,
  JobState,
  JobView,
  ListJobsQuery,
  PresignedUpload,
  RejectReport,
  ReportLink,
  ReportRowError,
} from './rest.ts';
export {
  APP_REST_ENDPOINTS,
  type HttpMethod,
  matchPath,
  type PathParamName,
  type PathParams,
  REST_ENDPOINTS,
  type RestEndpoint,
  type RestRouteName,
  restPath,
  TOPIC_ADMIN_ENDPOINTS,
  UPLOAD_PART_ENDPOINTS,
} from './rest-endpoints.ts';
export type {
  CompletedUpload,
  CompleteUploadRequest,
  MultipartUpload,
  PresignedPart,
  PresignedParts,
  PresignPartsRequest,
  UploadedPart,
  UploadStatus,
} from './rest-multipart.ts';
export type { RestRequest, RestResponse, RestResponseBody } from './rest-routes.ts';
export { isTerminalEvent } from './terminal.ts';
export {
  ANNOUNCEMENTS_TOPIC,
  GROUP_TOPIC_PREFIX,
  isPerUserView,
  isSharedTopicName,
  PER_USER_VIEWS,
  type PerUserView,
} from './topic-names.ts';
export type {
  CreateTopicGrantRequest,
  PublishTopicEventRequest,
  PublishTopicEventResponse,
  TopicEvent,
  TopicGrant,
  TopicGrantList,
  TopicMessage,
} from './topics.ts';
export type {
  ClientAction,
  ClientActionName,
  ErrorFrame,
  EventFrame,
  PingAction,
  PongFrame,
  ResumeAction,
  ResumedFrame,
  ServerFrame,
  SubscribeAction,
  SubscribedFrame,
  TopicEventFrame,
  UnsubscribeAction,
} from './ws.ts';
export {
  AUTH_CLOSE_CODES,
  HEARTBEAT_CLOSE_CODE,
  HERALD_SUBPROTOCOL,
  ORDERLY_CLOSE_CODES,
} from './ws-connection.ts';
