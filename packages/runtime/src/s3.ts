import { S3Client } from '@aws-sdk/client-s3';

/**
 * What {@link createS3Client} needs.
 *
 * @example
 * const config: S3ClientSettings = { region: 'eu-west-1', endpoint: undefined };
 */
export interface S3ClientSettings {
  /** `AWS_REGION`. */
  readonly region: string;
  /** `HERALD_S3_ENDPOINT`: an endpoint override (s3rver locally); undefined on AWS. */
  readonly endpoint: string | undefined;
}

/**
 * The S3 client every package builds its buckets' adapters on (in its `compose.ts`), with the
 * settings S3 and the local s3rver both need:
 * - `requestChecksumCalculation: 'WHEN_REQUIRED'` always: with the SDK default, presigned PUT
 *   URLs carry `x-amz-checksum-crc32` of an EMPTY body and S3 refuses every real upload; and a
 *   streamed PutObject would go out aws-chunked with a trailing checksum, which s3rver stores
 *   with its chunk framing (a corrupt object).
 * - `responseChecksumValidation: 'WHEN_REQUIRED'` on an endpoint override: s3rver answers
 *   checksums computed over that framing, which the SDK would refuse.
 * - path-style addressing on an endpoint override (s3rver has no virtual-host DNS).
 *
 * @example
 * const s3 = createS3Client({ region: config.region, endpoint: config.s3Endpoint });
 */
export function createS3Client(settings: S3ClientSettings): S3Client {
  return new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.endpoint !== undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: settings.endpoint === undefined ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
  });
}

interface SdkError {
  name?: string;
  code?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Whether an S3 error says there is no such object (`NotFound` from HeadObject, `NoSuchKey`, or
 * any 404).
 *
 * @example
 * catch (error) { if (isS3NotFound(error)) return undefined; throw error; }
 */
export function isS3NotFound(error: unknown): boolean {
  const e = error as SdkError;
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * Whether an S3 error is worth a retry: throttling, 5xx and network faults are; 4xx are not.
 * A package's adapter sets its own error's `retryable` from it.
 *
 * @example
 * throw new ObjectStoreError('S3 PutObject failed', { key, cause: error, retryable: isRetryableS3Error(error) });
 */
export function isRetryableS3Error(error: unknown): boolean {
  const e = error as SdkError;
  if (e?.$retryable !== undefined) return true;
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  return (
    (typeof e?.code === 'string' && NETWORK_CODES.has(e.code)) ||
    e?.name === 'TimeoutError' ||
    e?.name === 'AbortError' ||
    e?.name === 'RequestTimeout'
  );
}
