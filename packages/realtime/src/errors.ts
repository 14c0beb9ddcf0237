/**
 * The one error base class of `@herald/realtime`. Subclasses set `name`, pass `cause` and say
 * whether retrying the same operation can succeed (`retryable`), which handlers use to decide
 * between "refuse" and "fail and let the caller retry".
 */
export class RealtimeError extends Error {
  /** Whether the same operation may succeed if retried (throttling, an unreachable dependency). */
  readonly retryable: boolean;

  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RealtimeError';
    this.retryable = options.retryable ?? false;
  }
}

/** The environment does not hold a valid configuration; the message names every bad variable. */
export class ConfigError extends RealtimeError {
  /** The environment variables that are missing or invalid. */
  readonly variables: readonly string[];

  constructor(message: string, variables: readonly string[]) {
    super(message);
    this.name = 'ConfigError';
    this.variables = variables;
  }
}

/** Why a credential was refused. Safe to log: it never contains the credential itself. */
export type AuthenticationFailure = 'missing' | 'malformed' | 'expired' | 'invalid' | 'unsupported';

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
