import { type CreateUploadRequest, type CreateUploadResponse, MULTIPART_LIMITS } from '@herald/protocol';
import type { Clock, Identity } from '@herald/runtime';
import { ok, type Result, refuse } from '@herald/runtime';
import { mayUpload } from '../datasets/catalog.ts';
import type {
  DatasetCatalog,
  JobRepository,
  MultipartStore,
  MultipartUploadRepository,
  ObjectStore,
} from '../ports.ts';
import { fileNameProblem } from './file-name.ts';
import { startMultipartUpload } from './multipart-upload.ts';
import { uploadObjectKey } from './upload-key.ts';

/** Lifetime of a presigned upload: minutes, not hours (it dies with the signing role's credentials anyway). */
export const UPLOAD_URL_TTL_SECONDS = 15 * 60;
/** The content type the upload must be sent with (it is signed). */
export const UPLOAD_CONTENT_TYPE = 'text/csv';

export interface CreateUploadDeps {
  readonly jobs: JobRepository;
  readonly objects: ObjectStore;
  readonly datasets: DatasetCatalog;
  readonly clock: Clock;
  readonly newId: () => string;
  readonly multipart: MultipartStore;
  readonly uploads: MultipartUploadRepository;
  /** Files of at least this many bytes are uploaded in parts (`HERALD_MULTIPART_THRESHOLD_BYTES`). */
  readonly multipartThresholdBytes: number;
}

// Client input ends up in a message: quoted, escaped and short.
const shown = (value: string): string => JSON.stringify([...value].slice(0, 64).join(''));

/**
 * `POST /uploads`: checks the request against the dataset, creates the job (`awaiting_upload`)
 * and presigns a PUT of exactly `sizeBytes` bytes of `text/csv` to `uploads/{userId}/{jobId}.csv`
 * (at or above the multipart threshold: starts a multipart upload there and presigns its first
 * parts, see `multipart-upload.ts`).
 * Checks run in a fixed order, so a request with several problems always gets the same code:
 * dataset → the caller's groups → file name → empty → size. Nothing is created on a refusal.
 *
 * @example
 * const result = await createUpload(deps, caller, { dataset: 'transactions', fileName: 'may.csv', sizeBytes: 1234 });
 * if (result.ok) return json(201, result.value);
 */
export async function createUpload(
  deps: CreateUploadDeps,
  caller: Pick<Identity, 'userId' | 'groups'>,
  request: CreateUploadRequest,
): Promise<Result<CreateUploadResponse>> {
  const { userId } = caller;
  const dataset = await deps.datasets.find(request.dataset);
  if (dataset === undefined) {
    // Only the datasets this caller may use are named: the others are none of their business.
    const usable = (await deps.datasets.list()).filter((d) => mayUpload(d, caller.groups)).map((d) => d.name);
    const choice = usable.length > 0 ? `use one of: ${usable.join(', ')}` : 'you may upload to none';
    return refuse('UNKNOWN_DATASET', `There is no dataset ${shown(request.dataset)}; ${choice}.`, {
      datasets: usable,
    });
  }
  if (!mayUpload(dataset, caller.groups)) {
    return refuse(
      'DATASET_NOT_ALLOWED',
      `You may not upload to the dataset "${dataset.name}": it accepts uploads from members of ` +
        `${dataset.uploadGroups.length > 0 ? `the groups ${dataset.uploadGroups.join(', ')}` : 'no group'}.`,
    );
  }
  const problem = fileNameProblem(request.fileName);
  if (problem !== undefined) return refuse('INVALID_FILE_NAME', problem);
  if (request.sizeBytes === 0) return refuse('EMPTY_FILE', 'The file is empty: there is nothing to load.');
  if (request.sizeBytes > dataset.maxFileBytes) {
    return refuse(
      'FILE_TOO_LARGE',
      `The file has ${request.sizeBytes} bytes; the dataset "${dataset.name}" accepts at most ${dataset.maxFileBytes}.`,
      { maxBytes: dataset.maxFileBytes },
    );
  }

  const jobId = deps.newId();
  const objectKey = uploadObjectKey(userId, jobId);
  const job = {
    jobId,
    userId,
    dataset: dataset.name,
    fileName: request.fileName,
    sizeBytes: request.sizeBytes,
    objectKey,
    dryRun: request.dryRun ?? false,
  };
  // A single PUT is capped at 5 GiB by S3, whatever the threshold says.
  if (request.sizeBytes >= Math.min(deps.multipartThresholdBytes, MULTIPART_LIMITS.maxPartBytes)) {
    const upload = await startMultipartUpload(deps, {
      key: objectKey,
      sizeBytes: request.sizeBytes,
      contentType: UPLOAD_CONTENT_TYPE,
    });
    await deps.jobs.create(job);
    await deps.uploads.attach(jobId, upload);
    return ok({ jobId, upload });
  }
  const expiresAt = new Date(deps.clock.now() + UPLOAD_URL_TTL_SECONDS * 1000);
  // Presign first: it is local work, so a failure leaves no orphaned job behind.
  const url = await deps.objects.presign({
    method: 'PUT',
    key: objectKey,
    contentLength: request.sizeBytes,
    contentType: UPLOAD_CONTENT_TYPE,
    expiresInSeconds: UPLOAD_URL_TTL_SECONDS,
  });
  await deps.jobs.create(job);
  return ok({
    jobId,
    upload: {
      method: 'PUT',
      url,
      headers: { 'content-type': UPLOAD_CONTENT_TYPE },
      expiresAt: expiresAt.toISOString(),
    },
  });
}
