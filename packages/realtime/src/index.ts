/**
 * `@herald/realtime`: the WebSocket side of Herald. Lambda entry points are the subpath
 * exports `@herald/realtime/handlers/<name>`; this is the library surface around them.
 * Other packages notify users with `getPublisher().publish(userId, event, options)`, imported
 * from `@herald/realtime/publisher` in Lambda code: this entry reaches every client of the
 * package (JWT verifier, tickets, …), which a bundle would then carry.
 */
export {
  DynamoConnectionStore,
  type DynamoConnectionStoreOptions,
} from './adapters/dynamo-connection-store.ts';
export { DynamoDeviceStore, type DynamoDeviceStoreOptions } from './adapters/dynamo-device-store.ts';
export { DynamoJobEventLog, type DynamoJobEventLogOptions } from './adapters/dynamo-job-event-log.ts';
export {
  DynamoSubscriptionStore,
  type DynamoSubscriptionStoreOptions,
} from './adapters/dynamo-subscription-store.ts';
export { DynamoTicketStore, type DynamoTicketStoreOptions } from './adapters/dynamo-ticket-store.ts';
export { DynamoTopicEventLog, type DynamoTopicEventLogOptions } from './adapters/dynamo-topic-event-log.ts';
export {
  DynamoTopicGrantStore,
  type DynamoTopicGrantStoreOptions,
} from './adapters/dynamo-topic-grant-store.ts';
export {
  DynamoTopicSubscriptionStore,
  type DynamoTopicSubscriptionStoreOptions,
} from './adapters/dynamo-topic-subscription-store.ts';
export {
  FcmPushSender,
  type FcmPushSenderOptions,
  type MulticastMessaging,
  PRUNABLE_FCM_ERROR_CODES,
} from './adapters/fcm-push-sender.ts';
export {
  HttpJwksFetcher,
  JwtTokenVerifier,
  type JwtTokenVerifierOptions,
} from './adapters/jwt-token-verifier.ts';
export {
  ManagementApiConnectionPoster,
  type ManagementApiConnectionPosterOptions,
} from './adapters/management-api-connection-poster.ts';
export { OutboxPushSender, type OutboxPushSenderOptions } from './adapters/outbox-push-sender.ts';
export {
  SigV4ConnectionPoster,
  type SigV4ConnectionPosterOptions,
} from './adapters/sigv4-connection-poster.ts';
export { SqsFanoutQueue, type SqsFanoutQueueOptions } from './adapters/sqs-fanout-queue.ts';
export { documentClient } from './compose/stores.ts';
export { buildTopicPublishDeps, buildTopicStoreDeps } from './compose/topics.ts';
export {
  buildDeps,
  buildPublisherDeps,
  type DepsProvider,
  getDeps,
  getPublisher,
  type PublisherHost,
  type RealtimeDeps,
  resetDeps,
} from './compose.ts';
export {
  type FcmServiceAccount,
  isAllowedJwksUri,
  loadConfig,
  loadPublisherConfig,
  loadTopicPublishConfig,
  loadTopicTablesConfig,
  type PublisherConfig,
  type PushConfig,
  type RealtimeConfig,
  type TopicPublishConfig,
  type TopicTablesConfig,
} from './config.ts';
export { type AuthorizerPolicy, allowConnect } from './core/authorizer-policy.ts';
export {
  DEFAULT_CONNECTION_TTL_SECONDS,
  isConnectionLive,
  MIN_CONNECTION_TTL_SECONDS,
  newConnection,
} from './core/connection.ts';
export { type Credential, extractCredential } from './core/credentials.ts';
export { DEFAULT_MAX_DEVICES_PER_USER, DEVICE_TTL_SECONDS, newDevice } from './core/devices.ts';
export {
  type AuthorizerContext,
  identityFromAuthorizerContext,
  toAuthorizerContext,
} from './core/identity.ts';
export {
  createPublisher,
  DEFAULT_JOB_EVENT_TTL_SECONDS,
  DEFAULT_POST_BACKOFF,
  DEFAULT_PUBLISH_CONCURRENCY,
  type Publisher,
  type PublisherDeps,
  type PublishOptions,
  type PublishResult,
} from './core/publisher.ts';
export { pushMessageFor } from './core/push-message.ts';
export { planReplay } from './core/replay.ts';
export {
  chooseSubprotocol,
  HERALD_SUBPROTOCOL,
  parseSubprotocols,
  tokenFromSubprotocols,
} from './core/subprotocol.ts';
export {
  MAX_SUBSCRIPTIONS_PER_CONNECTION,
  subscriptionKey,
  TOPICS,
  wantsEvent,
} from './core/subscriptions.ts';
export { hashTicket, type IssuedTicket, issueTicket, redeemTicket, TICKET_BYTES } from './core/tickets.ts';
export { deliverShard, type FanoutDeps, FanoutShardSchema, type ShardOutcome } from './core/topic-fanout.ts';
export {
  ADMIN_GROUP as TOPIC_ADMIN_GROUP,
  DEFAULT_TOPIC_GRANTS,
  EVERYONE,
  isTopicAdmin,
  isTopicGranted,
} from './core/topic-grants.ts';
export {
  DEFAULT_TOPIC_EVENT_TTL_SECONDS,
  publishToTopic,
  type TopicPublishDeps,
} from './core/topic-publish.ts';
export { cutShards, DEFAULT_TOPIC_SHARD_SIZE } from './core/topic-shards.ts';
export {
  AuthenticationError,
  type AuthenticationFailure,
  ConnectionGoneError,
  ConnectionStoreError,
  IdentityProviderUnavailableError,
  PostToConnectionError,
  PushError,
  RealtimeError,
  StoreError,
  type StoreName,
} from './errors.ts';
export type * from './events.ts';
export type {
  AddSubscriptionResult,
  ConnectionPoster,
  ConnectionRecord,
  ConnectionStore,
  DeviceRecord,
  DeviceStore,
  FanoutQueue,
  FanoutShard,
  JobEventLog,
  JobLogHead,
  LoggedJobEvent,
  PushMessage,
  PushOutcome,
  PushSender,
  RegisterDeviceOutcome,
  SubscriptionStore,
  TicketRecord,
  TicketStore,
  TokenVerifier,
  TopicEventLog,
  TopicGrantRecord,
  TopicGrantStore,
  TopicSubscriptionStore,
} from './ports.ts';
export * from './tables.ts';
