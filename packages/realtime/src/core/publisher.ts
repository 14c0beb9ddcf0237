import { encodeServerFrame, type HeraldEvent, isTerminalEvent, type JobEvent } from '@herald/protocol';
import {
  type BackoffPolicy,
  type Clock,
  delay,
  isRetryable,
  type Logger,
  type Metrics,
  noMetrics,
  withRetries,
} from '@herald/runtime';
import { ConnectionGoneError } from '../errors.ts';
import type {
  ConnectionPoster,
  ConnectionRecord,
  ConnectionStore,
  DeviceStore,
  JobEventLog,
  PushSender,
} from '../ports.ts';
import { mapWithConcurrency } from './concurrency.ts';
import { ConnectionCache } from './connection-cache.ts';
import { pushMessageFor } from './push-message.ts';
import { wantsEvent } from './subscriptions.ts';

/**
 * PostToConnection retries: 5 attempts, delays up to 50, 100, 200, 400 ms. PostToConnection
 * counts against the account-wide API Gateway request throttle, so retries must spread out
 * rather than hammer it in lockstep.
 */
export const DEFAULT_POST_BACKOFF: BackoffPolicy = { maxAttempts: 5, baseDelayMs: 50, maxDelayMs: 2000 };

/** PostToConnection calls in flight per publish, by default. */
export const DEFAULT_PUBLISH_CONCURRENCY = 32;

/** How long the job event log keeps an event, by default: a day (ADR 003). */
export const DEFAULT_JOB_EVENT_TTL_SECONDS = 86_400;

/** Options of one {@link Publisher.publish} call. */
export interface PublishOptions {
  /**
   * Reuse this user's connection list for up to this many milliseconds (at most 10 000) instead
   * of querying the table on every call. Meant for progress events, which a job sends several
   * times a second; a connection opened (or subscribed) meanwhile misses them until the list is
   * re-read. The list is kept per job, so a job's first event always reads the table.
   * Ignored for terminal events and `file.ready`: those always read the table, since missing a
   * connection there means a needless push.
   */
  readonly cacheConnectionsMs?: number;
}

/** What one {@link Publisher.publish} call achieved. */
export interface PublishResult {
  /** Connections that accepted the event. */
  readonly delivered: number;
  /** Connections that answered 410 Gone; their items were deleted. */
  readonly gone: number;
  /** Connections that still failed after retries (throttling, 5xx) or failed for good (403, ...). */
  readonly failed: number;
  /** Devices a push was handed to (terminal events and `file.ready` that reached no connection). */
  readonly pushed: number;
}

/** Sends Herald events to a user: every open WebSocket connection, else a push when it matters. */
export interface Publisher {
  /**
   * Publishes one event to a user:
   * 1. a job event is appended to the job event log (for `resume`), alongside steps 2–3;
   * 2. the user's live connections are read from the `byUser` GSI (never a scan) and filtered
   *    by their subscriptions;
   * 3. the event is posted to each with bounded concurrency; 410 deletes exactly that connection;
   *    429 / throttling / 5xx are retried with full-jitter backoff;
   * 4. a terminal job event or `file.ready` that reached no connection is pushed to the user's
   *    devices (progress never is), and tokens the provider reports invalid are removed.
   *
   * @throws TypeError when the event does not satisfy the protocol schema (a producer bug).
   * @throws ConnectionStoreError when the connections cannot be read (`retryable`: try again).
   */
  publish(userId: string, event: HeraldEvent, options?: PublishOptions): Promise<PublishResult>;
}

/** What {@link createPublisher} needs. */
export interface PublisherDeps {
  readonly connections: ConnectionStore;
  readonly poster: ConnectionPoster;
  readonly eventLog: JobEventLog;
  readonly devices: DeviceStore;
  readonly push: PushSender;
  readonly clock: Clock;
  readonly log: Logger;
  /**
   * Deliveries by outcome, pushes sent and invalid tokens (see `createPublisher`); flushed by
   * the host's invocation (its HTTP wrapper or batch loop).
   * @default noMetrics
   */
  readonly metrics?: Metrics;
  /** @default DEFAULT_PUBLISH_CONCURRENCY (32) */
  readonly concurrency?: number;
  /** @default DEFAULT_POST_BACKOFF */
  readonly backoff?: BackoffPolicy;
  /** @default DEFAULT_JOB_EVENT_TTL_SECONDS (one day) */
  readonly eventTtlSeconds?: number;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
}

type Delivery = 'delivered' | 'gone' | 'failed';

/**
 * Builds a {@link Publisher} on its ports. `compose/publisher.ts` builds the real one (`getPublisher()`);
 * tests pass fakes. Metrics (namespace `Herald`): `Deliveries` (Count, dimension `outcome`:
 * `delivered` / `gone` / `failed`, one data point per publish and outcome that occurred),
 * `PushesSent` and `PushInvalidTokens` (Count) for each push attempt.
 *
 * @example
 * const publisher = createPublisher({ connections, poster, eventLog, devices, push, clock, log });
 * const { delivered } = await publisher.publish(userId, { type: 'job.progress', ... }, { cacheConnectionsMs: 2000 });
 */
export function createPublisher(deps: PublisherDeps): Publisher {
  const concurrency = deps.concurrency ?? DEFAULT_PUBLISH_CONCURRENCY;
  const backoff = deps.backoff ?? DEFAULT_POST_BACKOFF;
  const eventTtlSeconds = deps.eventTtlSeconds ?? DEFAULT_JOB_EVENT_TTL_SECONDS;
  const sleep = deps.sleep ?? delay;
  const random = deps.random ?? Math.random;
  const metrics = deps.metrics ?? noMetrics;
  const cache = new ConnectionCache();
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be >= 1');

  // Cached reads in flight, per cache key: concurrent progress publishes share one GSI query
  // instead of each missing the still-empty cache.
  const reading = new Map<string, Promise<ConnectionRecord[]>>();

  /**
   * The user's connections; with `cacheMs`, a list cached for the same user and `stream` (the
   * job) may answer. Per job, not per user: a list cached for one job before a connection opened
   * or a subscription was acknowledged must not hide that connection from the next job's events.
   */
  const listConnections = async (
    userId: string,
    stream: string,
    cacheMs: number,
  ): Promise<ConnectionRecord[]> => {
    const now = deps.clock.now();
    if (cacheMs <= 0) return deps.connections.listByUser(userId, now);
    // The stream id comes first: job and request ids are UUIDs, so the first newline ends it.
    const key = `${stream}\n${userId}`;
    const cached = cache.get(key, now);
    if (cached !== undefined) return cached;
    const inFlight = reading.get(key);
    if (inFlight !== undefined) return inFlight;
    const read = deps.connections.listByUser(userId, now).then((connections) => {
      cache.set(key, connections, now, cacheMs);
      return connections;
    });
    reading.set(key, read);
    try {
      return await read;
    } finally {
      reading.delete(key);
    }
  };

  const deliver = async (connectionId: string, frame: string, log: Logger): Promise<Delivery> => {
    let attempts = 0;
    try {
      await withRetries(
        () => {
          attempts++;
          return deps.poster.post(connectionId, frame);
        },
        { policy: backoff, sleep, random, retryable: isRetryable },
      );
      return 'delivered';
    } catch (error) {
      if (error instanceof ConnectionGoneError) return 'gone';
      log.log('warn', 'event not delivered to connection', { connectionId, attempts, error });
      return 'failed';
    }
  };

  const appendToLog = async (userId: string, event: JobEvent, log: Logger): Promise<void> => {
    const expiresAt = Math.floor(deps.clock.now() / 1000) + eventTtlSeconds;
    try {
      await deps.eventLog.append(userId, event, expiresAt);
    } catch (error) {
      // Live delivery matters more than replay: go on, the REST job state is the fallback.
      log.log('error', 'job event not logged; resume will miss it', { error });
    }
  };

  const pushToDevices = async (userId: string, event: HeraldEvent, log: Logger): Promise<number> => {
    if (!isTerminalEvent(event)) return 0;
    try {
      const devices = await deps.devices.listByUser(userId, deps.clock.now());
      if (devices.length === 0) return 0;
      const outcome = await deps.push.send(
        userId,
        devices.map((d) => d.token),
        pushMessageFor(event),
      );
      metrics.add('PushesSent', 'Count', outcome.sent);
      metrics.add('PushInvalidTokens', 'Count', outcome.invalidTokens.length);
      for (const token of outcome.invalidTokens) {
        await deps.devices.remove(userId, token).catch((error: unknown) => {
          log.log('warn', 'invalid device token not removed', { error });
        });
      }
      if (outcome.invalidTokens.length > 0) {
        log.log('info', 'invalid device tokens removed', { removed: outcome.invalidTokens.length });
      }
      return outcome.sent;
    } catch (error) {
      // The event is not lost for good: the app reads the job state when it next opens.
      log.log('error', 'push failed', { error });
      return 0;
    }
  };

  return {
    async publish(userId, event, options = {}) {
      if (userId === '') throw new RangeError('userId must not be empty');
      // Validates the event too: a producer bug fails here, before anything is written or sent.
      const frame = encodeServerFrame({ type: 'event', event });
      const ids = event.type === 'file.ready' ? { requestId: event.requestId } : { jobId: event.jobId };
      const log = deps.log.child({ userId, eventType: event.type, seq: event.seq, ...ids });

      // The log write runs alongside the fan-out instead of before it (it would add its latency
      // to every delivery); publish resolves only once both are done. A client that receives the
      // event live does not need it from the log, and one that missed it resumes later.
      const logged = event.type === 'file.ready' ? Promise.resolve() : appendToLog(userId, event, log);

      let connections: ConnectionRecord[];
      let outcomes: Delivery[];
      try {
        const cacheMs = isTerminalEvent(event) ? 0 : Math.max(0, options.cacheConnectionsMs ?? 0);
        const stream = event.type === 'file.ready' ? event.requestId : event.jobId;
        connections = (await listConnections(userId, stream, cacheMs)).filter((c) =>
          wantsEvent(c.subscriptions, event),
        );
        outcomes = await mapWithConcurrency(connections, concurrency, (c) =>
          deliver(c.connectionId, frame, log),
        );
      } finally {
        await logged;
      }

      let delivered = 0;
      let gone = 0;
      let failed = 0;
      for (const [index, outcome] of outcomes.entries()) {
        if (outcome === 'delivered') delivered++;
        else if (outcome === 'failed') failed++;
        else {
          gone++;
          const { connectionId } = connections[index] as ConnectionRecord;
          cache.evict(connectionId);
          // Exactly the connection that answered 410, never anything else of the user.
          await deps.connections.delete(connectionId).catch((error: unknown) => {
            log.log('warn', 'gone connection not deleted; TTL will remove it', { connectionId, error });
          });
        }
      }

      for (const [outcome, count] of Object.entries({ delivered, gone, failed })) {
        if (count > 0) metrics.add('Deliveries', 'Count', count, { outcome });
      }
      const pushed = delivered === 0 ? await pushToDevices(userId, event, log) : 0;
      log.log(event.type === 'job.progress' ? 'debug' : 'info', 'event published', {
        delivered,
        gone,
        failed,
        pushed,
      });
      return { delivered, gone, failed, pushed };
    },
  };
}
