import { HeraldError } from '@herald/runtime';

/**
 * The error base class of `@herald/files`, a {@link HeraldError}: subclasses set `name`, pass
 * `cause` and say whether the same operation may succeed if retried (`retryable`: SRV-GW, the
 * database, S3 or the queue unreachable or slow). The link handler maps them to refusals
 * (`refusalFor` in `core/file-link.ts`) and the fetch worker retries a record whose failure is
 * retryable (read with `isRetryable` from `@herald/runtime`). Configuration and secret failures
 * are the kit's `ConfigError` and `SecretUnavailableError`.
 *
 * @example
 * if (error instanceof FilesError && !error.retryable) log.log('error', 'file fetch failed for good', { error });
 */
export class FilesError extends HeraldError {
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options);
    this.name = 'FilesError';
  }
}

/**
 * A database operation on the grants failed; `retryable` for connection faults, timeouts,
 * deadlocks.
 *
 * @example
 * throw new DatabaseError('database error while listing file grants', { cause: error, retryable: true });
 */
export class DatabaseError extends FilesError {
  /** PostgreSQL SQLSTATE, when the server answered one. */
  readonly sqlState: string | undefined;

  constructor(message: string, options: { cause?: unknown; retryable: boolean; sqlState?: string }) {
    super(message, options);
    this.name = 'DatabaseError';
    this.sqlState = options.sqlState;
  }
}

/**
 * An S3 operation on the files bucket failed; `retryable` for throttling, 5xx and network faults.
 *
 * @example
 * throw new ObjectStoreError('S3 HeadObject failed (Forbidden)', { key, cause: error, retryable: false });
 */
export class ObjectStoreError extends FilesError {
  readonly key: string;

  constructor(message: string, options: { key: string; cause?: unknown; retryable: boolean }) {
    super(message, options);
    this.name = 'ObjectStoreError';
    this.key = options.key;
  }
}

/**
 * A fetch ran out of its time budget (the API's, or the worker's before its Lambda timeout).
 *
 * @example
 * budget.abort(new DeadlineExceededError('the 20000 ms budget of POST /files/links ran out'));
 */
export class DeadlineExceededError extends FilesError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause, retryable: true });
    this.name = 'DeadlineExceededError';
  }
}

/**
 * SRV-GW answered 404 for the path: the file does not exist there.
 *
 * @example
 * if (status === 404) throw new SourceNotFoundError(path);
 */
export class SourceNotFoundError extends FilesError {
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
 *
 * @example
 * throw new UpstreamUnavailableError('SRV-GW answered HTTP 503', { retryable: true, status: 503 });
 */
export class UpstreamUnavailableError extends FilesError {
  /** SRV-GW's HTTP status, when it answered. */
  readonly status: number | undefined;

  constructor(message: string, options: { cause?: unknown; retryable: boolean; status?: number }) {
    super(message, options);
    this.name = 'UpstreamUnavailableError';
    this.status = options.status;
  }
}

/**
 * SRV-GW did not accept the connection, or went silent, within the configured timeout.
 *
 * @example
 * setTimeout(() => fail(new UpstreamTimeoutError('connect', 3000)), 3000);
 */
export class UpstreamTimeoutError extends FilesError {
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

/**
 * The file is larger than file delivery allows (declared by SRV-GW, or counted while streaming).
 *
 * @example
 * if (size > settings.maxBytes) throw new FileTooLargeError(settings.maxBytes);
 */
export class FileTooLargeError extends FilesError {
  readonly limitBytes: number;

  constructor(limitBytes: number, options: { cause?: unknown } = {}) {
    super(`the file is larger than ${limitBytes} bytes`, { cause: options.cause });
    this.name = 'FileTooLargeError';
    this.limitBytes = limitBytes;
  }
}

/**
 * SRV-GW served the file with a content type outside the allowlist.
 *
 * @example
 * throw new UnsupportedContentTypeError('text/html');
 */
export class UnsupportedContentTypeError extends FilesError {
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
 *
 * @example
 * throw new IncompleteTransferError('SRV-GW sent 10 of 12 bytes');
 */
export class IncompleteTransferError extends FilesError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause, retryable: true });
    this.name = 'IncompleteTransferError';
  }
}

/**
 * A message could not be handed to a queue (SQS SendMessage failed).
 *
 * @example
 * throw new QueueError('SQS SendMessage failed (ServiceUnavailable)', { cause: error, retryable: true });
 */
export class QueueError extends FilesError {
  constructor(message: string, options: { cause?: unknown; retryable: boolean }) {
    super(message, options);
    this.name = 'QueueError';
  }
}
