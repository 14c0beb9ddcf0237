/**
 * The small interfaces the realtime core and handlers need. Real implementations live in
 * `src/adapters/`, in-memory ones in `tests/fakes/`.
 */

/** Who a verified credential belongs to. */
export interface Identity {
  /** Cognito `sub`: stable, never reused. The key every connection and event is filed under. */
  readonly userId: string;
  /** Cognito user name (`cognito:username` on ID tokens, `username` on access tokens). */
  readonly username: string;
  /** Cognito groups (`cognito:groups`); empty when the user is in none. */
  readonly groups: readonly string[];
}

/** One open WebSocket connection, as stored in the connections table. */
export interface ConnectionRecord {
  /** API Gateway connection id (opaque; real ids end in `=`). */
  readonly connectionId: string;
  readonly userId: string;
  /** When the connection was opened, epoch milliseconds (GSI `byUser` sort key). */
  readonly connectedAt: number;
  /** When the item may be deleted, epoch SECONDS (DynamoDB TTL attribute). */
  readonly expiresAt: number;
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

/** The current time; injected so tests control it. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Values a log line may carry. Never tokens, tickets, presigned URLs or device tokens. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Structured logger; `child` adds correlation keys (`requestId`, `connectionId`) for one invocation. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}
