/**
 * The one error base class of `@herald/ingest`. Subclasses set `name`, pass `cause` and say
 * whether the same operation may succeed if retried (`retryable`): the queue handler retries a
 * record whose failure is retryable and marks the job failed otherwise.
 */
export class IngestError extends Error {
  /** Whether the same operation may succeed if retried (a database or S3 outage, a busy lock). */
  readonly retryable: boolean;

  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IngestError';
    this.retryable = options.retryable ?? false;
  }
}

/** The environment does not hold a valid configuration; the message names every bad variable. */
export class ConfigError extends IngestError {
  /** The environment variables that are missing or invalid. */
  readonly variables: readonly string[];

  constructor(message: string, variables: readonly string[]) {
    super(message);
    this.name = 'ConfigError';
    this.variables = variables;
  }
}

/** A database operation failed; `retryable` for connection faults, timeouts, deadlocks. */
export class DatabaseError extends IngestError {
  /** PostgreSQL SQLSTATE, when the server answered one. */
  readonly sqlState: string | undefined;

  constructor(message: string, options: { cause?: unknown; retryable: boolean; sqlState?: string }) {
    super(message, options);
    this.name = 'DatabaseError';
    this.sqlState = options.sqlState;
  }
}

/**
 * Another worker holds the job's row lock (a duplicate S3 event delivered concurrently). Retry
 * later: by then the holder has finished the job (a no-op) or died (its lock died with it).
 */
export class JobLockedError extends IngestError {
  readonly jobId: string;

  constructor(jobId: string, options: { cause?: unknown } = {}) {
    super(`job ${jobId} is locked by another worker`, { cause: options.cause, retryable: true });
    this.name = 'JobLockedError';
    this.jobId = jobId;
  }
}

/** An S3 operation failed; `retryable` for throttling, 5xx and network faults. */
export class ObjectStoreError extends IngestError {
  readonly key: string;

  constructor(message: string, options: { key: string; cause?: unknown; retryable: boolean }) {
    super(message, options);
    this.name = 'ObjectStoreError';
    this.key = options.key;
  }
}

/** The worker ran out of its time budget (the Lambda timeout is near). */
export class DeadlineExceededError extends IngestError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause, retryable: true });
    this.name = 'DeadlineExceededError';
  }
}

/**
 * Whether an error (or any error in its `cause` chain) says retrying may help. Errors from
 * other packages (the CSV loader's) count when they carry `retryable: true`.
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
