import {
  type CompletedUpload,
  type CompleteUploadRequest,
  errorEnvelope,
  MULTIPART_LIMITS,
  type MultipartUpload,
  type PresignedPart,
  type PresignedParts,
  type UploadStatus,
} from '@herald/protocol';
import type { Clock } from '@herald/runtime';
import { ok, type Result, refuse } from '@herald/runtime';
import { MultipartRefusedError } from '../errors.ts';
import type {
  CompletionQueue,
  MultipartStore,
  MultipartUploadRecord,
  MultipartUploadRepository,
  ObjectStore,
  StoredPart,
} from '../ports.ts';
import { isJobId } from './job-queries.ts';

/** Files of at least this many bytes are uploaded in parts unless configured otherwise (16 MiB). */
export const DEFAULT_MULTIPART_THRESHOLD_BYTES = 16 * 1024 * 1024;
/** The part size of files up to 80,000 MiB; larger files get larger parts (S3's 10,000-part rule). */
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
/** Lifetime of a presigned part: short, a client asks for more as it goes. */
export const PART_URL_TTL_SECONDS = 10 * 60;
/** How many parts `POST /uploads` presigns up front: four in flight, and the next ones ready. */
export const FIRST_PARTS_PRESIGNED = 8;

const MIB = 1024 * 1024;
/** States a job reaches only after its upload was completed (or sent whole). */
const COMPLETED_STATES: readonly string[] = ['queued', 'processing', 'succeeded'];

/**
 * The part size and count of a file: {@link DEFAULT_PART_BYTES}, or the smallest whole number of
 * MiB that keeps the count within S3's 10,000 parts (100 GiB → 11 MiB parts, 9,310 of them).
 *
 * @example
 * partPlan(20 * 1024 * 1024); // { partSize: 8388608, partCount: 3 }
 */
export function partPlan(sizeBytes: number): { readonly partSize: number; readonly partCount: number } {
  const needed = Math.ceil(sizeBytes / MULTIPART_LIMITS.maxParts / MIB) * MIB;
  const partSize = Math.max(DEFAULT_PART_BYTES, needed);
  return { partSize, partCount: Math.max(1, Math.ceil(sizeBytes / partSize)) };
}

/**
 * The exact length of part `partNumber` (1-based): `partSize`, the remainder for the last part.
 *
 * @example
 * partLength(20 * 1024 * 1024, 8 * 1024 * 1024, 3); // 4194304
 */
export function partLength(sizeBytes: number, partSize: number, partNumber: number): number {
  return Math.min(partSize, sizeBytes - (partNumber - 1) * partSize);
}

export interface MultipartDeps {
  readonly uploads: MultipartUploadRepository;
  readonly multipart: MultipartStore;
  readonly clock: Clock;
}

/** Presigns the given parts of an upload (validated by the caller to exist). */
async function presign(
  deps: Pick<MultipartDeps, 'multipart' | 'clock'>,
  upload: {
    readonly key: string;
    readonly uploadId: string;
    readonly sizeBytes: number;
    readonly partSize: number;
  },
  partNumbers: readonly number[],
): Promise<PresignedPart[]> {
  const expiresAt = new Date(deps.clock.now() + PART_URL_TTL_SECONDS * 1000).toISOString();
  return Promise.all(
    partNumbers.map(async (partNumber) => {
      const sizeBytes = partLength(upload.sizeBytes, upload.partSize, partNumber);
      const url = await deps.multipart.presignPart({
        key: upload.key,
        uploadId: upload.uploadId,
        partNumber,
        contentLength: sizeBytes,
        expiresInSeconds: PART_URL_TTL_SECONDS,
      });
      return { partNumber, url, sizeBytes, expiresAt };
    }),
  );
}

/**
 * Starts the multipart upload of a new job's object and presigns its first parts (the job row is
 * the caller's: `POST /uploads` records the upload id with {@link MultipartUploadRepository.attach}).
 *
 * @example
 * const upload = await startMultipartUpload(deps, { key, sizeBytes, contentType: 'text/csv' });
 */
export async function startMultipartUpload(
  deps: Pick<MultipartDeps, 'multipart' | 'clock'>,
  request: { readonly key: string; readonly sizeBytes: number; readonly contentType: string },
): Promise<MultipartUpload> {
  const { partSize, partCount } = partPlan(request.sizeBytes);
  const uploadId = await deps.multipart.create(request.key, request.contentType);
  const first = Array.from({ length: Math.min(partCount, FIRST_PARTS_PRESIGNED) }, (_, i) => i + 1);
  const parts = await presign(deps, { ...request, uploadId, partSize }, first);
  return { method: 'MULTIPART', uploadId, partSize, partCount, parts };
}

/** The owner's multipart upload still awaiting its parts, or the refusal to answer. */
async function openUpload(
  deps: Pick<MultipartDeps, 'uploads'>,
  userId: string,
  jobId: string,
): Promise<Result<MultipartUploadRecord & { readonly partCount: number }>> {
  const upload = isJobId(jobId) ? await deps.uploads.findForOwner(userId, jobId) : undefined;
  // Another user's job, a missing one and a single-PUT one look alike: existence is not revealed
  // beyond what GET /jobs/{id} already tells the owner.
  if (upload === undefined) return refuse('NOT_FOUND', 'There is no multipart upload with this job id.');
  if (upload.state !== 'awaiting_upload') {
    return refuse('CONFLICT', `The upload is over: the job is ${upload.state}.`, { state: upload.state });
  }
  return ok({ ...upload, partCount: Math.ceil(upload.sizeBytes / upload.partSize) });
}

/** Maps S3's refusals of an upload to their codes; anything else is the caller's to handle. */
function refused<T>(error: unknown): Result<T> {
  if (error instanceof MultipartRefusedError) return refuse(error.code, error.message);
  throw error;
}

/**
 * `POST /uploads/{jobId}/parts`: presigns the parts named (each within the upload's part count).
 *
 * @example
 * const result = await presignParts(deps, userId, jobId, [5, 6, 7]);
 */
export async function presignParts(
  deps: MultipartDeps,
  userId: string,
  jobId: string,
  partNumbers: readonly number[],
): Promise<Result<PresignedParts>> {
  const open = await openUpload(deps, userId, jobId);
  if (!open.ok) return open;
  const upload = open.value;
  const outside = partNumbers.filter((n) => n > upload.partCount);
  if (outside.length > 0) {
    return refuse(
      'VALIDATION_FAILED',
      `The upload has ${upload.partCount} parts; there is no part ${outside[0]}.`,
      {
        partCount: upload.partCount,
      },
    );
  }
  const parts = await presign(deps, { ...upload, key: upload.objectKey }, partNumbers);
  return ok({ parts });
}

/**
 * `GET /uploads/{jobId}`: the parts S3 holds (`ListParts`), so a client resumes with the others.
 *
 * @example
 * const result = await uploadStatus(deps, userId, jobId);
 * if (result.ok) missing = all.filter((n) => !result.value.parts.some((p) => p.partNumber === n));
 */
export async function uploadStatus(
  deps: MultipartDeps,
  userId: string,
  jobId: string,
): Promise<Result<UploadStatus>> {
  const open = await openUpload(deps, userId, jobId);
  if (!open.ok) return open;
  const upload = open.value;
  try {
    const parts = await deps.multipart.listParts(upload.objectKey, upload.uploadId);
    return ok({
      jobId,
      uploadId: upload.uploadId,
      sizeBytes: upload.sizeBytes,
      partSize: upload.partSize,
      partCount: upload.partCount,
      parts: parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag, sizeBytes: p.sizeBytes })),
    });
  } catch (error) {
    return refused(error);
  }
}

/**
 * What `POST /uploads/{jobId}/complete` uses besides {@link MultipartDeps}.
 *
 * @example
 * const deps: CompleteUploadDeps = { uploads, multipart, clock, objects, completions };
 */
export interface CompleteUploadDeps extends MultipartDeps {
  /** Tells an upload S3 already completed (its object exists) from one that is gone. */
  readonly objects: Pick<ObjectStore, 'size'>;
  /** Where the completion itself goes (`UploadCompletionQueue`). */
  readonly completions: CompletionQueue;
}

/** ETags compare without their quotes: clients send them either way. */
const bareEtag = (etag: string) => etag.replace(/"/g, '');

/**
 * The refusal S3's CompleteMultipartUpload would answer for these parts, or undefined: the
 * client's list must be ascending and name exactly the parts S3 holds, each with its ETag
 * (`InvalidPartOrder`, `InvalidPart`), and every part but the last must be 5 MiB or more
 * (`EntityTooSmall`). Checked here because the completion itself runs later, in the worker,
 * with the parts S3 lists.
 */
function partsRefusal(
  listed: CompleteUploadRequest['parts'],
  held: readonly StoredPart[],
): Result<never> | undefined {
  const unordered = listed.findIndex((p, i) => i > 0 && p.partNumber <= (listed[i - 1]?.partNumber ?? 0));
  if (unordered !== -1)
    return refuse(
      'INVALID_PART',
      `The parts must be listed in ascending order (see part ${listed[unordered]?.partNumber}).`,
    );
  const byNumber = new Map(held.map((p) => [p.partNumber, p]));
  const unknown = listed.find((p) => {
    const stored = byNumber.get(p.partNumber);
    return stored === undefined || bareEtag(stored.etag) !== bareEtag(p.etag);
  });
  if (unknown !== undefined)
    return refuse('INVALID_PART', `Part ${unknown.partNumber} was not uploaded, or another ETag was.`);
  const listedNumbers = new Set(listed.map((p) => p.partNumber));
  const unlisted = held.find((p) => !listedNumbers.has(p.partNumber));
  if (unlisted !== undefined)
    return refuse('INVALID_PART', `Part ${unlisted.partNumber} was uploaded but is not listed.`);
  const small = held.slice(0, -1).find((p) => p.sizeBytes < MULTIPART_LIMITS.minPartBytes);
  if (small !== undefined)
    return refuse('PART_TOO_SMALL', `Part ${small.partNumber} is smaller than 5 MiB and is not the last.`);
  return undefined;
}

/**
 * `POST /uploads/{jobId}/complete`: checks the client's parts against the parts S3 holds
 * (`ListParts`) and queues the completion, answering before the object exists: S3 may take
 * minutes to assemble a large object, longer than the API may wait. The worker
 * (`completeQueuedUpload`) completes; the object's S3 event then queues the job, and the ingest
 * worker refuses (and deletes) an object of any size but the declared one. Answers 200 again for
 * a job already queued, processing or succeeded, and for a completion still pending (queued again:
 * a repeated message is a no-op) or done while the job waits for its worker.
 *
 * @example
 * const result = await completeUpload(deps, userId, jobId, { parts: [{ partNumber: 1, etag }] });
 */
export async function completeUpload(
  deps: CompleteUploadDeps,
  userId: string,
  jobId: string,
  request: CompleteUploadRequest,
): Promise<Result<CompletedUpload>> {
  const found = isJobId(jobId) ? await deps.uploads.findForOwner(userId, jobId) : undefined;
  if (found !== undefined && COMPLETED_STATES.includes(found.state)) return ok({ jobId });
  const open = await openUpload(deps, userId, jobId);
  if (!open.ok) return open;
  const upload = open.value;
  let held: readonly StoredPart[];
  try {
    held = await deps.multipart.listParts(upload.objectKey, upload.uploadId);
  } catch (error) {
    // S3 forgets an upload once it completed it: with the object there, the completion queued
    // earlier is done and the job waits for the ingest worker.
    const gone = error instanceof MultipartRefusedError && error.code === 'UPLOAD_EXPIRED';
    if (gone && (await deps.objects.size(upload.objectKey)) !== undefined) return ok({ jobId });
    return refused(error);
  }
  const refusal = partsRefusal(request.parts, held);
  if (refusal !== undefined) return refusal;
  await deps.completions.enqueue({ v: 1, jobId, userId });
  return ok({ jobId });
}

/**
 * `DELETE /uploads/{jobId}`: discards the parts, then fails the job with `UPLOAD_ABORTED`. S3
 * first: a job failed before its parts are gone could not be aborted again, and the lifecycle
 * rule would leave the parts billed for a day.
 *
 * @example
 * const result = await abortUpload(deps, userId, jobId);
 */
export async function abortUpload(
  deps: MultipartDeps,
  userId: string,
  jobId: string,
): Promise<Result<undefined>> {
  const open = await openUpload(deps, userId, jobId);
  if (!open.ok) return open;
  await deps.multipart.abort(open.value.objectKey, open.value.uploadId);
  const failed = await deps.uploads.abandon(userId, jobId, errorEnvelope('UPLOAD_ABORTED'));
  // Lost a race with the upload's completion (the worker claimed the job meanwhile).
  if (!failed) return refuse('CONFLICT', 'The upload completed before it could be aborted.');
  return ok(undefined);
}
