import { describe, expect, it } from 'vitest';
import { createS3Client, isRetryableS3Error, isS3NotFound } from '../../src/s3.ts';

const sdkError = (fields: Record<string, unknown>) => Object.assign(new Error('x'), fields);

describe('createS3Client', () => {
  it('on AWS: virtual-host addressing, checksums only when required on requests, validated on responses', async () => {
    const s3 = createS3Client({ region: 'eu-west-1', endpoint: undefined });
    expect(await s3.config.region()).toBe('eu-west-1');
    expect(s3.config.forcePathStyle).toBe(false);
    expect(await s3.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await s3.config.responseChecksumValidation()).toBe('WHEN_SUPPORTED');
    s3.destroy();
  });

  it('with an endpoint override (s3rver): path-style, and response checksums only when required', async () => {
    const s3 = createS3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:4569' });
    expect(s3.config.forcePathStyle).toBe(true);
    expect((await s3.config.endpoint?.())?.hostname).toBe('127.0.0.1');
    expect(await s3.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    expect(await s3.config.responseChecksumValidation()).toBe('WHEN_REQUIRED');
    s3.destroy();
  });
});

describe('S3 error classification', () => {
  it('recognises a missing object by name or by status', () => {
    expect(isS3NotFound(sdkError({ name: 'NotFound' }))).toBe(true);
    expect(isS3NotFound(sdkError({ name: 'NoSuchKey' }))).toBe(true);
    expect(isS3NotFound(sdkError({ name: 'Other', $metadata: { httpStatusCode: 404 } }))).toBe(true);
    expect(isS3NotFound(sdkError({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }))).toBe(false);
    expect(isS3NotFound(undefined)).toBe(false);
  });

  it('retries throttling, 5xx, network faults and timeouts; not other 4xx', () => {
    expect(isRetryableS3Error(sdkError({ $retryable: { throttling: true } }))).toBe(true);
    expect(isRetryableS3Error(sdkError({ $metadata: { httpStatusCode: 503 } }))).toBe(true);
    expect(isRetryableS3Error(sdkError({ $metadata: { httpStatusCode: 429 } }))).toBe(true);
    expect(isRetryableS3Error(sdkError({ code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryableS3Error(sdkError({ name: 'TimeoutError' }))).toBe(true);
    expect(isRetryableS3Error(sdkError({ $metadata: { httpStatusCode: 403 } }))).toBe(false);
    expect(isRetryableS3Error(sdkError({ name: 'InvalidRequest' }))).toBe(false);
  });
});
