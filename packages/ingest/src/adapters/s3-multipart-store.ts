import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { isRetryableS3Error } from '@herald/runtime/s3';
import { MultipartRefusedError, ObjectStoreError } from '../errors.ts';
import type { MultipartStore, StoredPart } from '../ports.ts';

export interface S3MultipartStoreOptions {
  /** Built by `compose.ts` with `createS3Client` (see `S3ObjectStoreOptions.client` for why). */
  readonly client: S3Client;
  readonly bucket: string;
}

// S3's refusals of the upload itself, by error code
// (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html, "Errors").
const REFUSALS: Readonly<Record<string, MultipartRefusedError['code']>> = {
  NoSuchUpload: 'UPLOAD_EXPIRED',
  InvalidPart: 'INVALID_PART',
  InvalidPartOrder: 'INVALID_PART',
  EntityTooSmall: 'PART_TOO_SMALL',
};

function translate(error: unknown, what: string, key: string): Error {
  const name = (error as { name?: string } | null)?.name ?? 'Error';
  const code = REFUSALS[name];
  if (code !== undefined)
    return new MultipartRefusedError(code, `S3 ${what} refused (${name})`, { key, cause: error });
  return new ObjectStoreError(`S3 ${what} failed (${name})`, {
    key,
    cause: error,
    retryable: isRetryableS3Error(error),
  });
}

/**
 * Multipart uploads into the uploads bucket (s3rver locally, whose gaps the local stack fills:
 * ListParts, AbortMultipartUpload, part checks on complete).
 *
 * @example
 * const multipart = new S3MultipartStore({ client: s3, bucket: 'herald-uploads' });
 * const uploadId = await multipart.create(key, 'text/csv');
 */
export class S3MultipartStore implements MultipartStore {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(options: S3MultipartStoreOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
  }

  async create(key: string, contentType: string): Promise<string> {
    try {
      const created = await this.#client.send(
        new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: key, ContentType: contentType }),
      );
      if (!created.UploadId) throw new TypeError('CreateMultipartUpload answered no UploadId');
      return created.UploadId;
    } catch (error) {
      throw translate(error, 'CreateMultipartUpload', key);
    }
  }

  presignPart(request: Parameters<MultipartStore['presignPart']>[0]): Promise<string> {
    // Content-Length is signed: S3 refuses a part of any other length, so the parts add up to
    // exactly the declared size unless a client completes without some of them.
    const command = new UploadPartCommand({
      Bucket: this.#bucket,
      Key: request.key,
      UploadId: request.uploadId,
      PartNumber: request.partNumber,
      ContentLength: request.contentLength,
    });
    return getSignedUrl(this.#client, command, {
      expiresIn: request.expiresInSeconds,
      signableHeaders: new Set(['content-length']),
    });
  }

  async listParts(key: string, uploadId: string): Promise<readonly StoredPart[]> {
    const parts: StoredPart[] = [];
    let marker: string | undefined;
    try {
      // At most 1,000 parts per page (S3's default and maximum).
      for (;;) {
        const page = await this.#client.send(
          new ListPartsCommand({
            Bucket: this.#bucket,
            Key: key,
            UploadId: uploadId,
            ...(marker !== undefined && { PartNumberMarker: marker }),
          }),
        );
        for (const p of page.Parts ?? []) {
          if (p.PartNumber === undefined || p.ETag === undefined) continue;
          parts.push({ partNumber: p.PartNumber, etag: p.ETag, sizeBytes: p.Size ?? 0 });
        }
        if (!page.IsTruncated || page.NextPartNumberMarker === undefined) return parts;
        marker = page.NextPartNumberMarker;
      }
    } catch (error) {
      throw translate(error, 'ListParts', key);
    }
  }

  async complete(
    key: string,
    uploadId: string,
    parts: readonly { readonly partNumber: number; readonly etag: string }[],
  ): Promise<void> {
    try {
      await this.#client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.#bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
        }),
      );
    } catch (error) {
      throw translate(error, 'CompleteMultipartUpload', key);
    }
  }

  async abort(key: string, uploadId: string): Promise<void> {
    try {
      await this.#client.send(
        new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: key, UploadId: uploadId }),
      );
    } catch (error) {
      const refused = translate(error, 'AbortMultipartUpload', key);
      if (refused instanceof MultipartRefusedError && refused.code === 'UPLOAD_EXPIRED') return;
      throw refused;
    }
  }
}
