import type { Clock, CorsPolicy, Logger, Metrics } from '@herald/runtime';
import { JwtTokenVerifier } from './adapters/jwt-token-verifier.ts';
import { buildBaseDeps, getBaseDeps, resetBaseDeps } from './compose/base.ts';
import { buildPoster, getPosterDeps, resetPosterDeps } from './compose/poster.ts';
import { buildPublisherDeps, getPublishingDeps, resetPublishers } from './compose/publisher.ts';
import { buildStoreDeps, documentClient, getStoreDeps, resetStoreDeps } from './compose/stores.ts';
import { getTokenDeps, resetTokenDeps } from './compose/tokens.ts';
import {
  buildTopicPublishDeps,
  buildTopicStoreDeps,
  getTopicPublishDeps,
  getTopicStoreDeps,
  resetTopicDeps,
} from './compose/topics.ts';
import type { RealtimeConfig, TopicPublishConfig } from './config.ts';
import { createPublisher, type Publisher } from './core/publisher.ts';
import type {
  ConnectionPoster,
  ConnectionStore,
  ConnectLimiter,
  DeviceStore,
  FanoutQueue,
  JobEventLog,
  SubscriptionStore,
  TicketStore,
  TokenVerifier,
  TopicEventLog,
  TopicGrantStore,
  TopicSubscriptionStore,
} from './ports.ts';

// The composition is split by what the clients weigh: each handler's entry file imports only the
// parts of `compose/` it uses (base: logger, metrics, config; stores: DynamoDB; tokens: the JWT
// verifier; poster: `@connections`; publisher: the publisher and its FCM push sender), so each
// Lambda bundle holds only those clients. This module puts the parts together for the library
// surface and tests: the whole set, built once.

/**
 * Everything the realtime handlers need. Handlers are built by factories taking a
 * {@link DepsProvider}, so tests pass fakes and Lambda passes the `compose/` parts it uses.
 */
export interface RealtimeDeps {
  readonly connections: ConnectionStore;
  readonly subscriptions: SubscriptionStore;
  readonly tickets: TicketStore;
  readonly devices: DeviceStore;
  readonly eventLog: JobEventLog;
  readonly poster: ConnectionPoster;
  readonly publisher: Publisher;
  readonly tokens: TokenVerifier;
  readonly clock: Clock;
  readonly log: Logger;
  /** Which browser origins the REST handlers answer with CORS headers (`HERALD_ALLOWED_ORIGINS`). */
  readonly cors: CorsPolicy;
  /** Flushed per invocation by the REST wrapper and `sns-notify`. */
  readonly metrics: Metrics;
  /** Cryptographically secure random bytes (tickets). */
  readonly randomBytes: (size: number) => Uint8Array;
  /** Lifetime of a connection item (`HERALD_CONNECTION_TTL_SECONDS`). */
  readonly connectionTtlSeconds: number;
  /** Push devices per user (`HERALD_MAX_DEVICES_PER_USER`). */
  readonly maxDevicesPerUser: number;
  /** Counts `$connect` attempts per client IP, when the configuration sets a limit. */
  readonly connectLimiter?: ConnectLimiter;
  /** PostToConnection calls in flight per publish or fan-out shard (`HERALD_PUBLISH_CONCURRENCY`). */
  readonly publishConcurrency: number;
  /** Shared topics' grants, subscriptions (by topic) and short-lived event log with its `seq` counter. */
  readonly topicGrants: TopicGrantStore;
  readonly topicSubscriptions: TopicSubscriptionStore;
  readonly topicEvents: TopicEventLog;
  /** Where a topic publish queues its shards for the fan-out workers. */
  readonly fanout: FanoutQueue;
  /** Most connection ids per fan-out shard (`HERALD_TOPIC_SHARD_SIZE`). */
  readonly topicShardSize: number;
  /** How long the topic log keeps an event (`HERALD_TOPIC_EVENT_TTL_SECONDS`). */
  readonly topicEventTtlSeconds: number;
}

/** Supplies the deps at invocation time (never at import: the local stack sets the env later). */
export type DepsProvider<K extends keyof RealtimeDeps = keyof RealtimeDeps> = () => Pick<RealtimeDeps, K>;

/**
 * Builds every client and adapter for a configuration, sharing one document client, logger,
 * metrics and poster.
 *
 * @example
 * const deps = buildDeps({ ...loadConfig(process.env), ...loadTopicPublishConfig(process.env) });
 */
export function buildDeps(config: RealtimeConfig & TopicPublishConfig): RealtimeDeps {
  const base = buildBaseDeps(config);
  const documents = documentClient(config);
  const poster = buildPoster(config);
  const { log, metrics } = base;
  return {
    ...base,
    ...buildStoreDeps(config, documents),
    ...buildTopicStoreDeps(config, documents),
    ...buildTopicPublishDeps(config, config.region),
    poster,
    publisher: createPublisher(buildPublisherDeps(config, { documents, log, metrics, poster })),
    tokens: new JwtTokenVerifier(config.jwt),
  };
}

let deps: RealtimeDeps | undefined;

/**
 * The container's whole set of deps, from the same per-container parts the handlers use: config
 * is read from `process.env` and clients are built on the FIRST call, then reused.
 */
export const getDeps: DepsProvider = () => {
  deps ??= {
    ...getBaseDeps(),
    ...getStoreDeps(),
    ...getTokenDeps(),
    ...getPosterDeps(),
    ...getPublishingDeps(),
    ...getTopicStoreDeps(),
    ...getTopicPublishDeps(),
  };
  return deps;
};

/**
 * Forgets every built part and publisher so the next invocation reads the environment again.
 * For an in-process host (tests) that restarts its servers on new ports; Lambda never needs it.
 */
export function resetDeps(): void {
  deps = undefined;
  resetBaseDeps();
  resetStoreDeps();
  resetTokenDeps();
  resetPosterDeps();
  resetPublishers();
  resetTopicDeps();
}

export { buildPublisherDeps, getPublisher, type PublisherHost } from './compose/publisher.ts';
