import { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { isRetryableS3Error, isS3NotFound } from '@herald/runtime/s3';
import { ObjectStoreError } from '../errors.ts';
import type { FileStore, FileWrite, SourceValidators, StoredFile } from '../ports.ts';

/**
 * Options of {@link S3FileStore}.
 *
 * @example
 * const options: S3FileStoreOptions = { client: s3, bucket: 'herald-files' };
 */
export interface S3FileStoreOptions {
  /** The container's S3 client (built by `compose.ts` with `createS3Client` of `@herald/runtime/s3`). */
  readonly client: S3Client;
  /** Physical name of the files bucket. */
  readonly bucket: string;
  /** Multipart part size; S3's minimum, 5 MiB, by default. */
  readonly partSizeBytes?: number;
  /** Parts uploaded at once. Memory in use is about (queueSize + 1) × partSize. Default 2. */
  readonly queueSize?: number;
}

// S3 user metadata travels as `x-amz-meta-*` headers (lower-cased names, ASCII values).
const META_ETAG = 'source-etag';
const META_LAST_MODIFIED = 'source-last-modified';

/**
 * The files bucket on S3 (s3rver locally): cached SRV-GW files with their source validators
 * in object metadata, streamed in with `@aws-sdk/lib-storage` (multipart above one part),
 * handed out as presigned GETs.
 *
 * A write is all or nothing. The body is pulled part by part (at most `queueSize + 1` parts in
 * memory); when it throws (a broken transfer, the size cap) or S3 fails, no
 * CompleteMultipartUpload is sent, so the object at the key stays the previous version,
 * untouched, and lib-storage aborts the multipart upload (`AbortMultipartUpload`) so no parts
 * linger. A body smaller than one part is sent as one PutObject only after it was read
 * completely, so it never lands half-written either. s3rver (local) does not implement
 * `AbortMultipartUpload`: there, abandoned parts stay in its data folder (invisible as objects).
 *
 * @example
 * const files = new S3FileStore({ client: s3, bucket: 'herald-files' });
 * await files.write('files/reports/q3.csv', body, { contentType: 'text/csv', source: { etag } });
 */
export class S3FileStore implements FileStore {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #partSize: number;
  readonly #queueSize: number;

  constructor(options: S3FileStoreOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
    this.#partSize = options.partSizeBytes ?? 5 * 1024 * 1024;
    this.#queueSize = options.queueSize ?? 2;
  }

  async head(key: string): Promise<StoredFile | undefined> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      const etag = head.Metadata?.[META_ETAG];
      const lastModified = head.Metadata?.[META_LAST_MODIFIED];
      const source: SourceValidators = {
        ...(etag !== undefined && { etag }),
        ...(lastModified !== undefined && { lastModified }),
      };
      return {
        key,
        size: head.ContentLength ?? 0,
        contentType: head.ContentType ?? 'application/octet-stream',
        storedAt: head.LastModified ?? new Date(0),
        source,
      };
    } catch (error) {
      if (isS3NotFound(error)) return undefined;
      throw translate(error, 'HeadObject', key);
    }
  }

  async write(key: string, body: AsyncIterable<Uint8Array>, file: FileWrite): Promise<void> {
    // The body's own failure is what the caller needs to see, even when lib-storage then fails
    // to abort the multipart upload (s3rver has no AbortMultipartUpload; on AWS a lifecycle rule
    // on the bucket cleans up what an abort missed).
    let bodyError: unknown;
    const tracked = (async function* () {
      try {
        yield* body;
      } catch (error) {
        bodyError = error;
        throw error;
      }
    })();
    const stream = Readable.from(tracked, { objectMode: false });
    const metadata: Record<string, string> = {};
    if (file.source.etag !== undefined) metadata[META_ETAG] = file.source.etag;
    if (file.source.lastModified !== undefined) metadata[META_LAST_MODIFIED] = file.source.lastModified;
    const upload = new Upload({
      client: this.#client,
      partSize: this.#partSize,
      queueSize: this.#queueSize,
      leavePartsOnError: false,
      params: {
        Bucket: this.#bucket,
        Key: key,
        Body: stream,
        ContentType: file.contentType,
        Metadata: metadata,
        // With the length known, lib-storage also checks the part count against it.
        ...(file.size !== undefined && { ContentLength: file.size }),
      },
    });
    try {
      await upload.done();
    } catch (error) {
      if (bodyError !== undefined) throw bodyError;
      throw isOwnError(error) ? error : translate(error, 'Upload', key);
    } finally {
      stream.destroy();
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      if (isS3NotFound(error)) return;
      throw translate(error, 'DeleteObject', key);
    }
  }

  async presignDownload(
    key: string,
    options: { readonly expiresInSeconds: number; readonly contentDisposition: string },
  ): Promise<string> {
    // `response-content-disposition` is part of the signed query string, so it cannot be
    // changed by whoever holds the URL.
    const command = new GetObjectCommand({
      Bucket: this.#bucket,
      Key: key,
      ResponseContentDisposition: options.contentDisposition,
    });
    return getSignedUrl(this.#client, command, { expiresIn: options.expiresInSeconds });
  }
}

function translate(error: unknown, what: string, key: string): ObjectStoreError {
  const name = (error as { name?: string } | null)?.name ?? 'Error';
  return new ObjectStoreError(`S3 ${what} failed (${name})`, {
    key,
    cause: error,
    retryable: isRetryableS3Error(error),
  });
}

/** Errors that already say whether a retry helps (ours) pass through untranslated. */
function isOwnError(error: unknown): boolean {
  return error instanceof Error && typeof (error as { retryable?: unknown }).retryable === 'boolean';
}
