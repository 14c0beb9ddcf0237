import { HeraldError } from '@herald/runtime';

/**
 * The error base class of `@herald/ingest`, a {@link HeraldError}: subclasses set `name`, pass
 * `cause` and say whether the same operation may succeed if retried (`retryable`, a database or
 * S3 outage, a busy lock): the queue handler retries a record whose failure is retryable (read
 * with `isRetryable` from `@herald/runtime`) and marks the job failed otherwise. Configuration
 * and secret failures are the kit's `ConfigError` and `SecretUnavailableError`.
 */
export class IngestError extends HeraldError {
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options);
    this.name = 'IngestError';
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

/** SRV-GW answered 404 for the path: the file does not exist there. */
export class SourceNotFoundError extends IngestError {
  readonly path: string;

  constructor(path: string, options: { cause?: unknown } = {}) {
    super('SRV-GW has no such file', { cause: options.cause });
    this.name = 'SourceNotFoundError';
    this.path = path;
  }
}

/**
 * SRV-GW could not be used: unreachable, a 5xx or 429 answer, a connection dropped mid-body
 * (`retryable`), or an answer that retrying will not change, such as a refused credential or a
 * redirect (not retryable).
 */
export class UpstreamUnavailableError extends IngestError {
  /** SRV-GW's HTTP status, when it answered. */
  readonly status: number | undefined;

  constructor(message: string, options: { cause?: unknown; retryable: boolean; status?: number }) {
    super(message, options);
    this.name = 'UpstreamUnavailableError';
    this.status = options.status;
  }
}

/** SRV-GW did not accept the connection, or went silent, within the configured timeout. */
export class UpstreamTimeoutError extends IngestError {
  /** `connect`: no TCP connection in time; `idle`: no bytes (headers or body) in time. */
  readonly phase: 'connect' | 'idle';

  constructor(phase: 'connect' | 'idle', timeoutMs: number, options: { cause?: unknown } = {}) {
    super(
      `SRV-GW ${phase === 'connect' ? 'did not accept a connection' : 'sent nothing'} within ${timeoutMs} ms`,
      {
        cause: options.cause,
        retryable: true,
      },
    );
    this.name = 'UpstreamTimeoutError';
    this.phase = phase;
  }
}

/** The file is larger than file delivery allows (declared by SRV-GW, or counted while streaming). */
export class FileTooLargeError extends IngestError {
  readonly limitBytes: number;

  constructor(limitBytes: number, options: { cause?: unknown } = {}) {
    super(`the file is larger than ${limitBytes} bytes`, { cause: options.cause });
    this.name = 'FileTooLargeError';
    this.limitBytes = limitBytes;
  }
}

/** SRV-GW served the file with a content type outside the allowlist. */
export class UnsupportedContentTypeError extends IngestError {
  readonly contentType: string;

  constructor(contentType: string) {
    super(`content type ${contentType.slice(0, 100)} is not on the allowlist`);
    this.name = 'UnsupportedContentTypeError';
    this.contentType = contentType;
  }
}

/**
 * The bytes stored do not match what SRV-GW announced (a truncated body, or a stored size that
 * differs from the bytes sent). Retryable: the next attempt downloads again.
 */
export class IncompleteTransferError extends IngestError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause, retryable: true });
    this.name = 'IncompleteTransferError';
  }
}

/** A message could not be handed to a queue (SQS SendMessage failed). */
export class QueueError extends IngestError {
  constructor(message: string, options: { cause?: unknown; retryable: boolean }) {
    super(message, options);
    this.name = 'QueueError';
  }
}
