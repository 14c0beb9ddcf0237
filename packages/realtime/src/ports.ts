import type { JobEvent, TopicEvent } from '@herald/protocol';
import type { Identity } from '@herald/runtime';

/**
 * The small interfaces the realtime core and handlers need. Real implementations live in
 * `src/adapters/`, in-memory ones in `tests/fakes/`.
 */

/** One open WebSocket connection, as stored in the connections table. */
export interface ConnectionRecord {
  /** API Gateway connection id (opaque; real ids end in `=`). */
  readonly connectionId: string;
  readonly userId: string;
  /** When the connection was opened, epoch milliseconds (GSI `byUser` sort key). */
  readonly connectedAt: number;
  /** When the item may be deleted, epoch SECONDS (DynamoDB TTL attribute). */
  readonly expiresAt: number;
  /**
   * What the connection subscribed to (`job:<jobId>`, `topic:<name>`; see `core/subscriptions.ts`).
   * Absent or empty: it receives every event of its user.
   */
  readonly subscriptions?: readonly string[];
}

/** Verifies a bearer credential and says who it belongs to. */
export interface TokenVerifier {
  /**
   * Resolves the identity of a valid token.
   * @throws AuthenticationError when the token is not acceptable.
   * @throws IdentityProviderUnavailableError when the key set cannot be fetched.
   */
  verify(token: string): Promise<Identity>;
}

/** The connections table. */
export interface ConnectionStore {
  /** Writes (or overwrites) one connection. */
  put(connection: ConnectionRecord): Promise<void>;
  /** Deletes one connection; deleting an absent connection succeeds (idempotent). */
  delete(connectionId: string): Promise<void>;
  /** The user's connections that have not expired at `now` (epoch milliseconds). */
  listByUser(userId: string, now: number): Promise<ConnectionRecord[]>;
}

/** Outcome of {@link SubscriptionStore.add}. */
export type AddSubscriptionResult = 'added' | 'limit-reached' | 'unknown-connection';

/** Subscriptions of one connection (stored on its connections-table item). */
export interface SubscriptionStore {
  /**
   * Adds a subscription to the caller's own connection; idempotent. Refused when the connection
   * is not the user's (or gone), or already holds `max` other subscriptions.
   */
  add(
    connectionId: string,
    userId: string,
    subscription: string,
    max: number,
  ): Promise<AddSubscriptionResult>;
  /** Removes a subscription from the caller's own connection; removing an absent one succeeds. */
  remove(connectionId: string, userId: string, subscription: string): Promise<void>;
}

/** A one-time `$connect` ticket as stored: only its hash, and the identity it admits. */
export interface TicketRecord {
  /** SHA-256 of the ticket, hex. */
  readonly ticketHash: string;
  readonly userId: string;
  readonly username: string;
  readonly groups: readonly string[];
  /** Epoch SECONDS; the ticket is refused from this second on (DynamoDB TTL attribute). */
  readonly expiresAt: number;
}

/** The tickets table. */
export interface TicketStore {
  /** Stores a new ticket. */
  put(ticket: TicketRecord): Promise<void>;
  /**
   * Deletes the ticket and returns what it held, atomically: of two concurrent calls with the
   * same hash at most one gets the record. `undefined` for an unknown or already used ticket.
   * Expiry is NOT checked here (the caller decides), so expired tickets are cleaned up too.
   */
  take(ticketHash: string): Promise<TicketRecord | undefined>;
}

/** Counts `$connect` attempts per client IP (the connect attempts table). */
export interface ConnectLimiter {
  /**
   * Counts one attempt from `sourceIp` at `nowMs`; false when that address already made its
   * allowance of attempts in the current minute (the attempt is then not counted).
   */
  admit(sourceIp: string, nowMs: number): Promise<boolean>;
}

/** One registered push device of a user. */
export interface DeviceRecord {
  readonly userId: string;
  /** FCM registration token. A credential-like value: never logged. */
  readonly token: string;
  readonly platform: 'ios' | 'android' | 'web';
  /** First registration, epoch milliseconds. */
  readonly registeredAt: number;
  /** Epoch SECONDS (DynamoDB TTL): a device that stops re-registering is forgotten. */
  readonly expiresAt: number;
}

/** Outcome of {@link DeviceStore.register}. */
export type RegisterDeviceOutcome =
  | { readonly kind: 'created'; readonly device: DeviceRecord }
  | { readonly kind: 'refreshed'; readonly device: DeviceRecord }
  | { readonly kind: 'limit-reached' };

/** The devices table. */
export interface DeviceStore {
  /**
   * Registers a device for its user, or refreshes it (keeping `registeredAt`) when the user has
   * it already. A new token is refused when the user holds `max` live devices. The same token
   * registered by other users is removed from them (the device changed hands).
   */
  register(device: DeviceRecord, max: number, now: number): Promise<RegisterDeviceOutcome>;
  /** Removes one of the user's devices; `false` when the user has no such device. */
  remove(userId: string, token: string): Promise<boolean>;
  /** The user's devices that have not expired at `now` (epoch milliseconds). */
  listByUser(userId: string, now: number): Promise<DeviceRecord[]>;
}

/** A job event as the log holds it. */
export interface LoggedJobEvent {
  /** The job's owner: who published it. */
  readonly userId: string;
  readonly event: JobEvent;
}

/** Where a job's log stands: its owner and highest `seq`. */
export interface JobLogHead {
  readonly userId: string;
  readonly lastSeq: number;
}

/** The job event log (ADR 003): recent job events by job and `seq`, with their owner. */
export interface JobEventLog {
  /**
   * Appends an event. Appending the same (jobId, seq) again changes nothing and answers
   * `'duplicate'` (a producer retried).
   */
  append(userId: string, event: JobEvent, expiresAt: number): Promise<'appended' | 'duplicate'>;
  /** The owner and last `seq` of a job's live log; `undefined` when it holds no live events. */
  head(jobId: string, now: number): Promise<JobLogHead | undefined>;
  /** Live events with `seq > afterSeq`, in `seq` order, at most `limit`. */
  readAfter(jobId: string, afterSeq: number, now: number, limit: number): Promise<LoggedJobEvent[]>;
}

/** Sends one message to one WebSocket connection (the `@connections` Management API). */
export interface ConnectionPoster {
  /**
   * @throws ConnectionGoneError when the connection no longer exists (410).
   * @throws PostToConnectionError otherwise, `retryable` for throttling and server errors.
   */
  post(connectionId: string, data: string): Promise<void>;
}

/** A push notification: what the device shows, and string-only data for the app. */
export interface PushMessage {
  readonly notification: { readonly title: string; readonly body: string };
  readonly data: Readonly<Record<string, string>>;
}

/** What a push attempt achieved. */
export interface PushOutcome {
  /** Tokens the provider accepted the message for. */
  readonly sent: number;
  /** Tokens the provider reports unregistered or invalid: to be removed. */
  readonly invalidTokens: readonly string[];
}

/** Sends push notifications (FCM; locally the push outbox). */
export interface PushSender {
  /**
   * Sends one message to each token (a multicast).
   * @throws PushError when the provider could not be asked at all (`retryable` when transient).
   */
  send(userId: string, tokens: readonly string[], message: PushMessage): Promise<PushOutcome>;
}

/** One stored topic grant: members of `group` (`*`: everyone) may subscribe to `topic`. */
export interface TopicGrantRecord {
  readonly topic: string;
  readonly group: string;
  readonly createdBy: string;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

/** The topic grants table (admins manage it; shipped defaults live in `core/topic-grants.ts`). */
export interface TopicGrantStore {
  /** The topic's stored grants, by group. */
  list(topic: string): Promise<TopicGrantRecord[]>;
  /** Stores a grant; `'exists'` (nothing changed) when the topic is already granted to the group. */
  create(grant: TopicGrantRecord): Promise<'created' | 'exists'>;
  /** Deletes a grant; `false` when there was none. */
  delete(topic: string, group: string): Promise<boolean>;
}

/**
 * The topic subscriptions table: one item per (shared topic, connection), read by topic for the
 * fan-out (a Query, never a Scan) and by connection (GSI) for cleanup.
 */
export interface TopicSubscriptionStore {
  /** Records the connection as a subscriber of the topic; idempotent per (topic, connection). */
  add(subscription: TopicSubscriptionRecord): Promise<void>;
  /** Removes one subscription; removing an absent one succeeds. */
  remove(topic: string, connectionId: string): Promise<void>;
  /** Removes every topic subscription of a connection (disconnect, gone); answers how many. */
  removeConnection(connectionId: string): Promise<number>;
  /** The ids of the topic's subscribed connections not expired at `now` (epoch milliseconds). */
  listConnections(topic: string, now: number): Promise<string[]>;
  /** The topic's subscribers not expired at `now`, with the groups recorded when they subscribed. */
  listSubscribers(topic: string, now: number): Promise<TopicSubscriber[]>;
}

/** One connection's subscription to a shared topic, as {@link TopicSubscriptionStore.add} records it. */
export interface TopicSubscriptionRecord {
  readonly topic: string;
  readonly connectionId: string;
  readonly userId: string;
  /** Epoch seconds (the table's TTL attribute); expired items are skipped on read. */
  readonly expiresAt: number;
  /** The caller's groups that admitted it: a revoked grant is re-checked against them. */
  readonly groups: readonly string[];
  /** The id of its `subscribe` frame, when it had one: a revocation is reported under it. */
  readonly frameId?: string;
}

/**
 * A subscriber of a shared topic as {@link TopicSubscriptionStore.listSubscribers} lists it
 * (`groups` empty when none were recorded).
 */
export type TopicSubscriber = Pick<TopicSubscriptionRecord, 'connectionId' | 'groups' | 'frameId'>;

/** A topic event as the log holds it. */
export type LoggedTopicEvent = TopicEvent;

/** The short-lived topic event log: the per-topic `seq` counter and recent events for `resume`. */
export interface TopicEventLog {
  /** The topic's next `seq` (1, 2, …): an atomic increment, never repeated for a topic. */
  nextSeq(topic: string): Promise<number>;
  /** Appends an event (its `seq` from {@link TopicEventLog.nextSeq}); idempotent per (topic, seq). */
  append(event: TopicEvent, expiresAt: number): Promise<void>;
  /** The topic's last `seq` handed out; 0 when none ever was. */
  lastSeq(topic: string): Promise<number>;
  /** Live events with `seq > afterSeq`, in `seq` order, at most `limit`. */
  readAfter(topic: string, afterSeq: number, now: number, limit: number): Promise<LoggedTopicEvent[]>;
}

/** One shard of a topic fan-out: one event for at most N connections, handled by one worker. */
export interface FanoutShard {
  readonly event: TopicEvent;
  readonly connectionIds: readonly string[];
}

/** The fan-out queue (SQS `TopicFanoutQueue`; the local queue locally). */
export interface FanoutQueue {
  /** Queues every shard (in batches); throws when any could not be queued. */
  send(shards: readonly FanoutShard[]): Promise<void>;
}
