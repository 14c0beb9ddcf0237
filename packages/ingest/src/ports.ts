/**
 * The small interfaces the ingest core and handlers need. Real implementations live in
 * `src/adapters/`, in-memory ones in `tests/fakes/`; contract suites in `tests/contracts/` run
 * against both.
 */
import type { ErrorEnvelope, JobEvent, JobState, RowError } from '@herald/protocol';
import type { CsvLoadRequest, LoadOutcome } from './core/load-contract.ts';
import type { UploadCompletionMessage } from './core/upload-completion.ts';
import type { DatasetDefinition } from './datasets/types.ts';

/** One ingest job, as stored. */
export interface JobRecord {
  readonly jobId: string;
  /** Cognito `sub` of the owner. */
  readonly userId: string;
  readonly dataset: string;
  readonly fileName: string;
  /** The size declared at `POST /uploads`. */
  readonly sizeBytes: number;
  /** `uploads/{userId}/{jobId}.csv` in the uploads bucket. */
  readonly objectKey: string;
  /** A dry run: validated, never loaded. */
  readonly dryRun: boolean;
  readonly state: JobState;
  /** Claims so far (each delivery that found the job unfinished). */
  readonly attempts: number;
  readonly rowsLoaded: number;
  readonly rowsRejected: number;
  readonly error: ErrorEnvelope | null;
  /** The first refused rows. */
  readonly rowErrors: readonly RowError[];
  /** Key of the full reject report in the uploads bucket. */
  readonly reportKey: string | null;
  /** Highest event `seq` reserved so far (see `core/job-events.ts`). */
  readonly seqReserved: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  /** When the terminal event was handed to the publisher; null while it was not. */
  readonly notifiedAt: Date | null;
}

/** What `POST /uploads` stores; the job starts `awaiting_upload`. */
export interface NewJob {
  readonly jobId: string;
  readonly userId: string;
  readonly dataset: string;
  readonly fileName: string;
  readonly sizeBytes: number;
  readonly objectKey: string;
  /** Validate only (see {@link JobRecord.dryRun}). @default false */
  readonly dryRun?: boolean;
}

/** One page request: newest first, after the job `after` (a job id of the same owner). */
export interface JobPageRequest {
  readonly limit: number;
  readonly after?: string;
}

export interface JobPage {
  readonly jobs: readonly JobRecord[];
  /** Whether older jobs follow the last one. */
  readonly hasMore: boolean;
}

/** What a cancel found, and did. */
export type CancelResult =
  /** It was waiting for its upload: now `cancelled`, its `seqReserved` reserved for `job.cancelled`. */
  | { readonly kind: 'cancelled'; readonly job: JobRecord }
  /** Cancelled before (a repeated cancel): nothing changed. */
  | { readonly kind: 'already-cancelled'; readonly job: JobRecord }
  /** A worker has it: the request is recorded and its running statement (if any) cancelled. */
  | { readonly kind: 'requested'; readonly job: JobRecord }
  /** It had finished otherwise (`succeeded`, `failed`, `validated`). */
  | { readonly kind: 'finished'; readonly job: JobRecord }
  /** No such job of this owner. */
  | { readonly kind: 'missing' };

/** The jobs table as the REST API sees it: every read is scoped to an owner. */
export interface JobRepository {
  /** Stores a new job (`awaiting_upload`). */
  create(job: NewJob): Promise<JobRecord>;
  /** The job if it exists AND belongs to `userId`; undefined otherwise (never reveals which). */
  getForOwner(userId: string, jobId: string): Promise<JobRecord | undefined>;
  /** The owner's jobs, newest first; undefined when `after` is not one of the owner's jobs. */
  listForOwner(userId: string, page: JobPageRequest): Promise<JobPage | undefined>;
  /**
   * Cancels the owner's job: at once when it still waits for its upload; otherwise, while a
   * worker has it, by recording the request and cancelling the statement its run executes
   * (the worker then rolls back and marks it `cancelled`). Never waits for the worker's row lock.
   */
  cancel(userId: string, jobId: string): Promise<CancelResult>;
}

/** An uploaded object's job, as its key names it: all three must match the stored job. */
export interface JobRef {
  readonly jobId: string;
  readonly userId: string;
  readonly objectKey: string;
}

/** What the worker claims. */
export interface ClaimRequest extends JobRef {
  /** How many event seqs to reserve for this attempt. */
  readonly seqBlock: number;
}

export type ClaimResult =
  /** Now `processing`: attempts + 1, `seqReserved` advanced by the block, committed. */
  | { readonly kind: 'claimed'; readonly job: JobRecord }
  /** Already `succeeded` or `failed`: nothing changed. */
  | { readonly kind: 'finished'; readonly job: JobRecord }
  /** No job matches (unknown id, or the key's owner or path differs). */
  | { readonly kind: 'missing' };

/** What a successful run writes on the job. */
export interface JobSuccess {
  readonly rowsLoaded: number;
  readonly rowsRejected: number;
  readonly rowErrors: readonly RowError[];
  readonly reportKey: string | null;
}

/** What a failed run writes on the job. */
export interface JobFailure {
  readonly error: ErrorEnvelope;
  readonly rowsRejected: number;
  readonly rowErrors: readonly RowError[];
  readonly reportKey: string | null;
}

/** Limits of one locked run. */
export interface LockedRunOptions {
  /** Longest any statement of the run may take (the time left before the Lambda timeout). */
  readonly timeoutMs: number;
}

/**
 * A job locked (`SELECT … FOR UPDATE`) inside an open transaction on one database connection.
 * The transaction commits when the run's function resolves and rolls back when it throws.
 */
export interface LockedJob {
  /** The job re-read under the lock. */
  readonly job: JobRecord;
  /**
   * Loads the CSV into the dataset's table inside the transaction. On `ok: false` everything
   * the load did is already rolled back (to a savepoint; the job row stays locked).
   */
  load(request: Omit<CsvLoadRequest, 'jobId' | 'dryRun'>): Promise<LoadOutcome>;
  /**
   * Marks the job `succeeded` (committed with the loaded rows), or `validated` for a dry run
   * (whose load left nothing behind).
   */
  succeed(result: JobSuccess): Promise<void>;
  /** Undoes everything done in the run so far, then marks the job `failed`. */
  fail(failure: JobFailure): Promise<void>;
  /** Whether the owner asked to cancel the job (read outside the run's transaction, which may be aborted). */
  cancelRequested(): Promise<boolean>;
  /** Undoes everything done in the run so far, then marks the job `cancelled`. */
  cancel(): Promise<void>;
}

/** The jobs table as the worker sees it. */
export interface JobWorkStore {
  /**
   * Claims the job in a short committed transaction: `awaiting_upload | queued | processing →
   * processing`. Throws {@link JobLockedError} when another worker holds the row.
   */
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /**
   * Locks the job row with `FOR UPDATE NOWAIT` (never an advisory lock: RDS Proxy would pin
   * the session) on one connection held for the whole run and calls `work` inside the
   * transaction. Throws {@link JobLockedError} when another worker holds the row.
   */
  runLocked<T>(jobId: string, options: LockedRunOptions, work: (locked: LockedJob) => Promise<T>): Promise<T>;
  /**
   * Marks an unfinished job `failed` outside a run (e.g. retries exhausted) and reserves one
   * seq for its terminal event. Undefined when the job was already finished.
   */
  markFailed(job: JobRef, failure: JobFailure): Promise<{ readonly seq: number } | undefined>;
  /** Records that the finished job's terminal event was handed to the publisher. */
  markNotified(jobId: string): Promise<void>;
}

/** A presigned request to create. */
export type PresignRequest =
  | {
      readonly method: 'PUT';
      readonly key: string;
      /** Signed: S3 refuses a body of another length. */
      readonly contentLength: number;
      /** Signed: the uploader must send exactly this `content-type`. */
      readonly contentType: string;
      readonly expiresInSeconds: number;
    }
  | {
      readonly method: 'GET';
      readonly key: string;
      readonly expiresInSeconds: number;
      /** `Content-Disposition: attachment; filename=…` of the response. */
      readonly downloadName?: string;
    };

/** The uploads bucket. */
export interface ObjectStore {
  /** The object's size in bytes; undefined when there is no such object. */
  size(key: string): Promise<number | undefined>;
  /** Streams the object's bytes (never buffered whole). Throws when there is no such object. */
  read(key: string): Promise<AsyncIterable<Uint8Array>>;
  /** Stores a small object (the reject report). */
  put(key: string, body: string, contentType: string): Promise<void>;
  /** Deletes an object; deleting a missing one is no error (S3's DeleteObject is idempotent). */
  delete(key: string): Promise<void>;
  /** A presigned URL for one request. Never log it: it is a capability. */
  presign(request: PresignRequest): Promise<string>;
}

/**
 * Sends a job's events to its owner. Never throws: a lost notification must not fail a job.
 * Resolves true when the event was handed over (stored for resume and fanned out), false when
 * it was lost (logged): the worker then asks for its message again to resend a terminal event.
 */
export interface Notifier {
  notify(userId: string, event: JobEvent): Promise<boolean>;
}

/**
 * The declared datasets: what the dataset migrations recorded in the database (`ingest_datasets`),
 * so the declaration a function reads always matches its table.
 */
export interface DatasetCatalog {
  /** The dataset with exactly this name (case-sensitive), or undefined. */
  find(name: string): Promise<DatasetDefinition | undefined>;
  /** Every declared dataset, by name. */
  list(): Promise<readonly DatasetDefinition[]>;
}

/** A job's multipart upload, as the `/uploads/{jobId}` routes need it. */
export interface MultipartUploadRecord {
  readonly jobId: string;
  readonly userId: string;
  readonly objectKey: string;
  /** The size declared at `POST /uploads`. */
  readonly sizeBytes: number;
  readonly state: JobState;
  readonly uploadId: string;
  /** Bytes per part (the last one shorter), fixed when the upload started. */
  readonly partSize: number;
}

/** Where a job's multipart upload id is kept (the jobs database). */
export interface MultipartUploadRepository {
  /** Records the multipart upload S3 started for a job just created. */
  attach(jobId: string, upload: { readonly uploadId: string; readonly partSize: number }): Promise<void>;
  /** The job's multipart upload if the job exists, belongs to `userId` and was uploaded in parts. */
  findForOwner(userId: string, jobId: string): Promise<MultipartUploadRecord | undefined>;
  /**
   * Fails the owner's job with `error` while it still awaits its upload (`awaiting_upload →
   * failed`); false when it was not awaiting it (already uploaded, finished, or not theirs).
   */
  abandon(userId: string, jobId: string, error: ErrorEnvelope): Promise<boolean>;
}

/** A part S3 holds. */
export interface StoredPart {
  readonly partNumber: number;
  /** As S3 answers it: the quoted MD5 of the part. */
  readonly etag: string;
  readonly sizeBytes: number;
}

/**
 * The uploads bucket's multipart API. Refusals S3 states about the upload itself are thrown as
 * `MultipartRefusedError` (`UPLOAD_EXPIRED`, `INVALID_PART`, `PART_TOO_SMALL`); anything else as
 * `ObjectStoreError`.
 */
export interface MultipartStore {
  /** `CreateMultipartUpload`: the upload id. */
  create(key: string, contentType: string): Promise<string>;
  /** A presigned `UploadPart` accepting exactly `contentLength` bytes. Never log it. */
  presignPart(request: {
    readonly key: string;
    readonly uploadId: string;
    readonly partNumber: number;
    readonly contentLength: number;
    readonly expiresInSeconds: number;
  }): Promise<string>;
  /** `ListParts`, every page: the parts S3 holds, by part number. */
  listParts(key: string, uploadId: string): Promise<readonly StoredPart[]>;
  /** `CompleteMultipartUpload` of these parts (ascending). */
  complete(
    key: string,
    uploadId: string,
    parts: readonly { readonly partNumber: number; readonly etag: string }[],
  ): Promise<void>;
  /** `AbortMultipartUpload`; an upload that no longer exists is no error. */
  abort(key: string, uploadId: string): Promise<void>;
}

/**
 * `UploadCompletionQueue`: the queue whose worker completes multipart uploads off the request
 * path (S3 may take minutes to assemble a large object; the API answers within 29 s).
 */
export interface CompletionQueue {
  enqueue(message: UploadCompletionMessage): Promise<void>;
}
