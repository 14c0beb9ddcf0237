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

/**
 * The dataset declaration file (or a recorded declaration) is not sound: every problem found,
 * each a sentence naming the dataset and column. Fails synth, `npm run dev` and deploy.
 */
export class DatasetDeclarationError extends IngestError {
  readonly file: string;
  readonly problems: readonly string[];

  constructor(file: string, problems: readonly string[], options: { cause?: unknown } = {}) {
    super(
      `${file} has ${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      { cause: options.cause, retryable: false },
    );
    this.name = 'DatasetDeclarationError';
    this.file = file;
    this.problems = problems;
  }
}

/**
 * S3 refused a multipart call because of the upload itself: it no longer exists (`NoSuchUpload`:
 * aborted, completed, or expired by the lifecycle rule), a listed part is missing or has another
 * ETag (`InvalidPart`, `InvalidPartOrder`), or a part but the last is under 5 MiB
 * (`EntityTooSmall`). Never retryable: the same call gets the same answer.
 */
export class MultipartRefusedError extends IngestError {
  readonly code: 'UPLOAD_EXPIRED' | 'INVALID_PART' | 'PART_TOO_SMALL';
  readonly key: string;

  constructor(
    code: MultipartRefusedError['code'],
    message: string,
    options: { key: string; cause?: unknown },
  ) {
    super(message, { cause: options.cause, retryable: false });
    this.name = 'MultipartRefusedError';
    this.code = code;
    this.key = options.key;
  }
}

/** Sending to a queue failed (SQS SendMessage); `retryable` for throttling, 5xx and network faults. */
export class QueueError extends IngestError {
  constructor(message: string, options: { cause?: unknown; retryable: boolean }) {
    super(message, options);
    this.name = 'QueueError';
  }
}
