import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { isRetryableS3Error, isS3NotFound } from '@herald/runtime/s3';
import { ObjectStoreError } from '../errors.ts';
import type { ObjectStore, PresignRequest } from '../ports.ts';

export interface S3ObjectStoreOptions {
  /**
   * Built once per container by `compose.ts` with `createS3Client` of `@herald/runtime/s3`, whose
   * `requestChecksumCalculation: 'WHEN_REQUIRED'` this adapter needs: otherwise SDK ≥ 3.729 puts
   * the CRC32 of an EMPTY body into presigned PUT URLs and S3 refuses every real upload.
   */
  readonly client: S3Client;
  readonly bucket: string;
}

function translate(error: unknown, what: string, key: string): ObjectStoreError {
  const name = (error as { name?: string } | null)?.name ?? 'Error';
  return new ObjectStoreError(`S3 ${what} failed (${name})`, {
    key,
    cause: error,
    retryable: isRetryableS3Error(error),
  });
}

/**
 * The uploads bucket on S3 (s3rver locally, through `HERALD_S3_ENDPOINT`).
 *
 * @example
 * const objects = new S3ObjectStore({ client: s3, bucket: 'herald-uploads' });
 * for await (const chunk of await objects.read(key)) total += chunk.byteLength;
 */
export class S3ObjectStore implements ObjectStore {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(options: S3ObjectStoreOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (error) {
      if (isS3NotFound(error)) return undefined;
      throw translate(error, 'HeadObject', key);
    }
  }

  async read(key: string): Promise<AsyncIterable<Uint8Array>> {
    let body: AsyncIterable<Uint8Array>;
    try {
      const got = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
      // In Node the SDK's body is an http IncomingMessage: an async iterable of Buffers.
      body = got.Body as unknown as AsyncIterable<Uint8Array>;
      if (body === undefined || typeof body[Symbol.asyncIterator] !== 'function') {
        throw new TypeError('GetObject returned no streamable body');
      }
    } catch (error) {
      throw translate(error, 'GetObject', key);
    }
    return readTranslated(body, key);
  }

  async put(key: string, body: string, contentType: string): Promise<void> {
    try {
      await this.#client.send(
        new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ContentType: contentType }),
      );
    } catch (error) {
      throw translate(error, 'PutObject', key);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      // The uploads bucket is versioned: this adds a delete marker, and the lifecycle rule
      // expires the noncurrent version (see the Buckets construct).
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      throw translate(error, 'DeleteObject', key);
    }
  }

  async presign(request: PresignRequest): Promise<string> {
    if (request.method === 'PUT') {
      // Content-Length and Content-Type are signed: S3 answers 403 to a body of any other size
      // or type, so the size the dataset limit was checked against is the size that lands.
      const command = new PutObjectCommand({
        Bucket: this.#bucket,
        Key: request.key,
        ContentLength: request.contentLength,
        ContentType: request.contentType,
      });
      return getSignedUrl(this.#client, command, {
        expiresIn: request.expiresInSeconds,
        signableHeaders: new Set(['content-length', 'content-type']),
      });
    }
    const command = new GetObjectCommand({
      Bucket: this.#bucket,
      Key: request.key,
      ...(request.downloadName !== undefined && {
        ResponseContentDisposition: `attachment; filename="${request.downloadName.replace(/["\\\r\n]/g, '_')}"`,
      }),
    });
    return getSignedUrl(this.#client, command, { expiresIn: request.expiresInSeconds });
  }
}

/** Re-throws a failure while streaming the body as a (retryable) {@link ObjectStoreError}. */
async function* readTranslated(body: AsyncIterable<Uint8Array>, key: string): AsyncGenerator<Uint8Array> {
  try {
    yield* body;
  } catch (error) {
    throw new ObjectStoreError('S3 GetObject body failed while streaming', {
      key,
      cause: error,
      retryable: true,
    });
  }
}
