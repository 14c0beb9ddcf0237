import { queueUrlVariable } from '@herald/protocol';
import { ConfigError } from '@herald/runtime';
import { describe, expect, it } from 'vitest';
import { loadCompletionQueueConfig, loadConfig } from '../../src/config.ts';

const ENV = {
  AWS_REGION: 'eu-west-1',
  HERALD_DATABASE_URL: 'postgres://herald:secret-pw@127.0.0.1:5432/herald',
  HERALD_UPLOADS_BUCKET: 'herald-uploads',
};

describe('loadConfig', () => {
  it('reads the required variables and applies defaults', () => {
    const config = loadConfig(ENV);
    expect(config).toEqual({
      region: 'eu-west-1',
      databaseUrl: ENV.HERALD_DATABASE_URL,
      databasePoolMax: 4,
      uploadsBucket: 'herald-uploads',
      s3Endpoint: undefined,
      progress: { minIntervalMs: 250, percentStep: 5 },
      multipartThresholdBytes: 16 * 1024 * 1024,
      logLevel: 'info',
      allowedOrigins: [],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the multipart threshold, within S3 part sizes (5 MiB to 5 GiB)', () => {
    expect(loadConfig({ ...ENV, HERALD_MULTIPART_THRESHOLD_BYTES: '6291456' }).multipartThresholdBytes).toBe(
      6_291_456,
    );
    expect(() => loadConfig({ ...ENV, HERALD_MULTIPART_THRESHOLD_BYTES: '1048576' })).toThrow(
      /HERALD_MULTIPART_THRESHOLD_BYTES/,
    );
  });

  it('reads the optional variables', () => {
    const config = loadConfig({
      ...ENV,
      HERALD_S3_ENDPOINT: 'http://127.0.0.1:4569',
      HERALD_DATABASE_POOL_MAX: '2',
      HERALD_PROGRESS_INTERVAL_MS: '100',
      HERALD_PROGRESS_PERCENT_STEP: '10',
      HERALD_LOG_LEVEL: 'debug',
      HERALD_DATABASE_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db',
      HERALD_ALLOWED_ORIGINS: 'https://app.example.com',
    });
    expect(config).toMatchObject({
      allowedOrigins: ['https://app.example.com'],
      databaseSecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db',
      s3Endpoint: 'http://127.0.0.1:4569',
      databasePoolMax: 2,
      progress: { minIntervalMs: 100, percentStep: 10 },
      logLevel: 'debug',
    });
  });

  it('names every missing or invalid variable, never a value', () => {
    const error = (() => {
      try {
        loadConfig({
          HERALD_DATABASE_URL: 'mysql://u:secret-pw@h/db',
          HERALD_S3_ENDPOINT: 'ftp://x',
          HERALD_UPLOADS_BUCKET: ' ',
        });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(
      expect.arrayContaining([
        'AWS_REGION',
        'HERALD_DATABASE_URL',
        'HERALD_S3_ENDPOINT',
        'HERALD_UPLOADS_BUCKET',
      ]),
    );
    expect((error as Error).message).not.toContain('secret-pw');
  });

  it('refuses out-of-range numbers', () => {
    expect(() => loadConfig({ ...ENV, HERALD_PROGRESS_PERCENT_STEP: '150' })).toThrow(
      /HERALD_PROGRESS_PERCENT_STEP/,
    );
    expect(() => loadConfig({ ...ENV, HERALD_DATABASE_POOL_MAX: '0' })).toThrow(/HERALD_DATABASE_POOL_MAX/);
    expect(() => loadConfig({ ...ENV, HERALD_PROGRESS_INTERVAL_MS: '-5' })).toThrow(
      /HERALD_PROGRESS_INTERVAL_MS/,
    );
  });
});

describe('loadCompletionQueueConfig', () => {
  const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/UploadCompletionQueue';

  it('reads the completion queue from the variable the route table names', () => {
    expect(queueUrlVariable('UploadCompletionQueue')).toBe('HERALD_UPLOAD_COMPLETION_QUEUE_URL');
    const config = loadCompletionQueueConfig({ ...ENV, HERALD_UPLOAD_COMPLETION_QUEUE_URL: QUEUE_URL });
    expect(config).toEqual({ region: 'eu-west-1', queueUrl: QUEUE_URL, sqsEndpoint: undefined });
    expect(Object.isFrozen(config)).toBe(true);
    expect(
      loadCompletionQueueConfig({
        ...ENV,
        HERALD_UPLOAD_COMPLETION_QUEUE_URL: QUEUE_URL,
        HERALD_SQS_ENDPOINT: 'http://127.0.0.1:4000',
      }).sqsEndpoint,
    ).toBe('http://127.0.0.1:4000');
  });

  it('fails naming the queue variable when it is missing or not a URL', () => {
    expect(() => loadCompletionQueueConfig(ENV)).toThrow(ConfigError);
    expect(() => loadCompletionQueueConfig(ENV)).toThrow(/HERALD_UPLOAD_COMPLETION_QUEUE_URL/);
    expect(() => loadCompletionQueueConfig({ ...ENV, HERALD_UPLOAD_COMPLETION_QUEUE_URL: 'queue' })).toThrow(
      /HERALD_UPLOAD_COMPLETION_QUEUE_URL/,
    );
  });
});
