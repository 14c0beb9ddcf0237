import { HeraldError } from '@herald/runtime';

/**
 * The error base class of `@herald/realtime`, a {@link HeraldError}: subclasses set `name`, pass
 * `cause` and say whether retrying the same operation can succeed (`retryable`), which handlers
 * read with `isRetryable` (`@herald/runtime`) to decide between "refuse" and "fail and let the
 * caller retry". Configuration and secret failures are the kit's `ConfigError` and
 * `SecretUnavailableError`.
 */
export class RealtimeError extends HeraldError {
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options);
    this.name = 'RealtimeError';
  }
}

/**
 * Why a credential was refused (`rate-limited`: its address made too many `$connect` attempts).
 * Safe to log: it never contains the credential itself.
 */
export type AuthenticationFailure =
  | 'missing'
  | 'malformed'
  | 'expired'
  | 'invalid'
  | 'unsupported'
  | 'rate-limited';

/**
 * A credential is missing or not acceptable (bad signature, expired, wrong issuer or audience,
 * unsupported algorithm or credential kind). Never retryable with the same credential.
 * The message and fields never include the token.
 */
export class AuthenticationError extends RealtimeError {
  readonly reason: AuthenticationFailure;

  constructor(reason: AuthenticationFailure, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause, retryable: false });
    this.name = 'AuthenticationError';
    this.reason = reason;
  }
}

/**
 * The identity provider's key set (JWKS) could not be fetched or understood. The credential
 * was not judged, so this is not an authentication failure: retry later.
 */
export class IdentityProviderUnavailableError extends RealtimeError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause, retryable: true });
    this.name = 'IdentityProviderUnavailableError';
  }
}

/** A connection-table operation failed; `retryable` is set for throttling and server errors. */
export class ConnectionStoreError extends RealtimeError {
  /** The connection the operation was about, when there was one. */
  readonly connectionId: string | undefined;

  constructor(
    message: string,
    options: { cause?: unknown; retryable?: boolean; connectionId?: string } = {},
  ) {
    super(message, { cause: options.cause, retryable: options.retryable ?? false });
    this.name = 'ConnectionStoreError';
    this.connectionId = options.connectionId;
  }
}

/** Which table a {@link StoreError} is about. */
export type StoreName =
  | 'tickets'
  | 'devices'
  | 'jobEvents'
  | 'subscriptions'
  | 'topicGrants'
  | 'topicSubscriptions'
  | 'topicEvents'
  | 'fanoutQueue'
  | 'connectAttempts';

/** A tickets, devices, job-event-log, subscriptions or connect-attempts operation failed; `retryable` for throttling and server errors. */
export class StoreError extends RealtimeError {
  readonly store: StoreName;

  constructor(store: StoreName, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, { cause: options.cause, retryable: options.retryable ?? false });
    this.name = 'StoreError';
    this.store = store;
  }
}

/**
 * The `@connections` API answered 410 Gone: the connection no longer exists (the client left
 * without `$disconnect`, or API Gateway closed it). Its item must be deleted, and only its item.
 */
export class ConnectionGoneError extends RealtimeError {
  readonly connectionId: string;

  constructor(connectionId: string, options: { cause?: unknown } = {}) {
    super(`connection ${connectionId} is gone`, { cause: options.cause, retryable: false });
    this.name = 'ConnectionGoneError';
    this.connectionId = connectionId;
  }
}

/** PostToConnection failed for another reason; `retryable` for 429, throttling, 5xx and network errors. */
export class PostToConnectionError extends RealtimeError {
  readonly connectionId: string;
  /** HTTP status of the answer, when there was one. */
  readonly statusCode: number | undefined;

  constructor(
    connectionId: string,
    message: string,
    options: { cause?: unknown; retryable?: boolean; statusCode?: number } = {},
  ) {
    super(message, { cause: options.cause, retryable: options.retryable ?? false });
    this.name = 'PostToConnectionError';
    this.connectionId = connectionId;
    this.statusCode = options.statusCode;
  }
}

/** The push provider (FCM, or the local outbox) could not be asked; `retryable` when transient. */
export class PushError extends RealtimeError {
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, { cause: options.cause, retryable: options.retryable ?? false });
    this.name = 'PushError';
  }
}
