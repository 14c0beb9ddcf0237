import { createHash } from 'node:crypto';
import type { ErrorEnvelope } from '@herald/protocol';
import { MULTIPART_LIMITS } from '@herald/protocol';
import type { UploadCompletionMessage } from '../../src/core/upload-completion.ts';
import { MultipartRefusedError } from '../../src/errors.ts';
import type {
  CompletionQueue,
  MultipartStore,
  MultipartUploadRecord,
  MultipartUploadRepository,
  StoredPart,
} from '../../src/ports.ts';
import type { InMemoryJobStore } from './in-memory-job-store.ts';
import { InMemoryObjectStore } from './in-memory-object-store.ts';

interface Upload {
  readonly key: string;
  readonly parts: Map<number, { readonly etag: string; readonly bytes: Uint8Array }>;
}

/**
 * S3's multipart API in memory, with S3's refusals (`NoSuchUpload`, `InvalidPart`,
 * `InvalidPartOrder`, `EntityTooSmall`); `putPart` stands in for a client's presigned PUT. A
 * completed upload becomes an object of `bucket` (and S3 forgets the upload), as on S3.
 */
export class InMemoryMultipartStore implements MultipartStore {
  readonly uploads = new Map<string, Upload>();
  readonly presigned: Parameters<MultipartStore['presignPart']>[0][] = [];
  /** Every `complete` call, in order, with whether S3 assembled an object. */
  readonly completions: { readonly key: string; readonly assembled: boolean }[] = [];
  #ids = 0;
  #completing: (() => Promise<void>) | undefined;
  #nextFailure: Error | undefined;

  constructor(readonly bucket: InMemoryObjectStore = new InMemoryObjectStore()) {}

  /** Makes the next `complete` wait for `gate` before S3 assembles (a slow completion). */
  completeAfter(gate: () => Promise<void>): void {
    this.#completing = gate;
  }

  /** Makes the next `listParts` or `complete` throw `error` (e.g. a transient S3 fault). */
  failNextWith(error: Error): void {
    this.#nextFailure = error;
  }

  async create(key: string): Promise<string> {
    const id = `upload-${++this.#ids}`;
    this.uploads.set(id, { key, parts: new Map() });
    return id;
  }

  async presignPart(request: Parameters<MultipartStore['presignPart']>[0]): Promise<string> {
    this.presigned.push(request);
    return `https://s3.test/${request.key}?uploadId=${request.uploadId}&partNumber=${request.partNumber}&sig=secret`;
  }

  /** What a client's PUT of a part does; the ETag S3 answers. */
  putPart(uploadId: string, partNumber: number, bytes: Uint8Array): string {
    const upload = this.#upload(uploadId, '');
    const etag = `"${createHash('md5').update(bytes).digest('hex')}"`;
    upload.parts.set(partNumber, { etag, bytes });
    return etag;
  }

  async listParts(key: string, uploadId: string): Promise<readonly StoredPart[]> {
    this.#throwIfFailing();
    return [...this.#upload(uploadId, key).parts]
      .sort(([a], [b]) => a - b)
      .map(([partNumber, p]) => ({ partNumber, etag: p.etag, sizeBytes: p.bytes.byteLength }));
  }

  async complete(
    key: string,
    uploadId: string,
    parts: readonly { partNumber: number; etag: string }[],
  ): Promise<void> {
    this.#throwIfFailing();
    const gate = this.#completing;
    this.#completing = undefined;
    await gate?.();
    let upload: Upload;
    try {
      upload = this.#upload(uploadId, key);
    } catch (error) {
      this.completions.push({ key, assembled: false });
      throw error;
    }
    const chosen = parts.map((p, i) => {
      const held = upload.parts.get(p.partNumber);
      if (i > 0 && p.partNumber <= (parts[i - 1]?.partNumber ?? 0))
        throw new MultipartRefusedError('INVALID_PART', 'InvalidPartOrder', { key });
      if (held === undefined || held.etag.replace(/"/g, '') !== p.etag.replace(/"/g, ''))
        throw new MultipartRefusedError('INVALID_PART', 'InvalidPart', { key });
      return held.bytes;
    });
    if (chosen.slice(0, -1).some((b) => b.byteLength < MULTIPART_LIMITS.minPartBytes))
      throw new MultipartRefusedError('PART_TOO_SMALL', 'EntityTooSmall', { key });
    this.bucket.upload(key, Buffer.concat(chosen));
    this.uploads.delete(uploadId);
    this.completions.push({ key, assembled: true });
  }

  async abort(_key: string, uploadId: string): Promise<void> {
    this.uploads.delete(uploadId);
  }

  #throwIfFailing(): void {
    const failure = this.#nextFailure;
    this.#nextFailure = undefined;
    if (failure !== undefined) throw failure;
  }

  #upload(uploadId: string, key: string): Upload {
    const upload = this.uploads.get(uploadId);
    if (upload === undefined || (key !== '' && upload.key !== key))
      throw new MultipartRefusedError('UPLOAD_EXPIRED', 'NoSuchUpload', { key });
    return upload;
  }
}

/** {@link MultipartUploadRepository} over an {@link InMemoryJobStore}. */
export class InMemoryMultipartUploads implements MultipartUploadRepository {
  readonly #jobs: InMemoryJobStore;
  readonly #uploads = new Map<string, { uploadId: string; partSize: number }>();

  constructor(jobs: InMemoryJobStore) {
    this.#jobs = jobs;
  }

  async attach(
    jobId: string,
    upload: { readonly uploadId: string; readonly partSize: number },
  ): Promise<void> {
    this.#uploads.set(jobId, { uploadId: upload.uploadId, partSize: upload.partSize });
  }

  async findForOwner(userId: string, jobId: string): Promise<MultipartUploadRecord | undefined> {
    const job = await this.#jobs.getForOwner(userId, jobId);
    const upload = this.#uploads.get(jobId);
    if (job === undefined || upload === undefined) return undefined;
    return { ...upload, jobId, userId, objectKey: job.objectKey, sizeBytes: job.sizeBytes, state: job.state };
  }

  async abandon(userId: string, jobId: string, error: ErrorEnvelope): Promise<boolean> {
    const job = await this.#jobs.getForOwner(userId, jobId);
    if (job === undefined || job.state !== 'awaiting_upload') return false;
    const failed = await this.#jobs.markFailed(job, {
      error,
      rowsRejected: 0,
      rowErrors: [],
      reportKey: null,
    });
    return failed !== undefined;
  }
}

/** A {@link CompletionQueue} that records what the route sent (and can fail once). */
export class RecordingCompletionQueue implements CompletionQueue {
  readonly messages: UploadCompletionMessage[] = [];
  #nextFailure: Error | undefined;

  failNextWith(error: Error): void {
    this.#nextFailure = error;
  }

  async enqueue(message: UploadCompletionMessage): Promise<void> {
    const failure = this.#nextFailure;
    this.#nextFailure = undefined;
    if (failure !== undefined) throw failure;
    this.messages.push(message);
  }
}
