/**
 * The one error base class of Herald's Lambda code. Every package's own base (`IngestError`,
 * `RealtimeError`) extends it, so a retry decision reads the same flag everywhere: subclasses set
 * `name`, pass `cause` and say whether the same operation may succeed if retried (throttling, an
 * unreachable dependency, a busy lock) or not (a refusal, a bug).
 *
 * @example
 * class QueueFullError extends HeraldError {
 *   constructor(options: { cause?: unknown } = {}) {
 *     super('the queue is full', { cause: options.cause, retryable: true });
 *     this.name = 'QueueFullError';
 *   }
 * }
 */
export class HeraldError extends Error {
  /** Whether the same operation may succeed if retried. */
  readonly retryable: boolean;

  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HeraldError';
    this.retryable = options.retryable ?? false;
  }
}

/**
 * The environment does not hold a valid configuration. The message names every bad variable and
 * never a value (URLs and credentials are secrets).
 *
 * @example
 * throw new ConfigError('Invalid @herald/x configuration: AWS_REGION is required', ['AWS_REGION']);
 */
export class ConfigError extends HeraldError {
  /** The environment variables that are missing or invalid. */
  readonly variables: readonly string[];

  constructor(message: string, variables: readonly string[]) {
    super(message);
    this.name = 'ConfigError';
    this.variables = variables;
  }
}

/**
 * A secret could not be read (the Parameters and Secrets extension is unreachable, refused, or
 * answered without a `SecretString`; or the secret does not hold what it should); `retryable`
 * when the extension or Secrets Manager may answer later. The message never contains the secret.
 *
 * @example
 * throw new SecretUnavailableError('the secrets extension answered HTTP 503', { retryable: true });
 */
export class SecretUnavailableError extends HeraldError {
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options);
    this.name = 'SecretUnavailableError';
  }
}

/**
 * Whether retrying may help: the error, or any error in its `cause` chain, carries
 * `retryable: true`. Errors of libraries count when they carry the flag too (the CSV loader's),
 * and a wrapper that translated a transient fault keeps it retryable through its `cause`.
 *
 * @example
 * if (isRetryable(error)) return { retry: true };
 */
export function isRetryable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    if ((current as { retryable?: unknown }).retryable === true) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
