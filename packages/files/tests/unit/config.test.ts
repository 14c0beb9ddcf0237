import { queueUrlVariable } from '@herald/protocol';
import { ConfigError, SecretUnavailableError } from '@herald/runtime';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Handler,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CloudFrontDownloadLinks } from '../../src/adapters/cloudfront-download-links.ts';
import { PgGrantRepository } from '../../src/adapters/pg-grant-repository.ts';
import { RealtimeFileNotifier } from '../../src/adapters/realtime-file-notifier.ts';
import { S3FileStore } from '../../src/adapters/s3-file-store.ts';
import { SqsFetchQueue } from '../../src/adapters/sqs-fetch-queue.ts';
import { SrvGwFileSource } from '../../src/adapters/srvgw-file-source.ts';
import { credentialProvider, getDeliveryDeps, getDeps, resetDeps } from '../../src/compose.ts';
import { loadConfig, loadDeliveryConfig } from '../../src/config.ts';
import { DEFAULT_ALLOWED_CONTENT_TYPES } from '../../src/core/file-content-type.ts';
import * as createFileLink from '../../src/handlers/http-create-file-link.ts';
import * as createGrant from '../../src/handlers/http-create-grant.ts';
import * as deleteGrant from '../../src/handlers/http-delete-grant.ts';
import * as listGrants from '../../src/handlers/http-list-grants.ts';
import * as fetchFile from '../../src/handlers/sqs-fetch-file.ts';

const DB_ENV = { HERALD_DATABASE_URL: 'postgres://herald:secret-pw@127.0.0.1:1/herald' };

const FILE_ENV = {
  AWS_REGION: 'eu-west-1',
  HERALD_FILES_BUCKET: 'herald-files',
  HERALD_SRVGW_URL: 'https://srvgw.example.com/base',
  HERALD_SRVGW_CREDENTIAL: 'top-secret-credential',
  HERALD_FILE_FETCH_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/FileFetchQueue',
};
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:srvgw-AbCdEf';

function configError(
  env: Record<string, string>,
  load: (env: Record<string, string>) => unknown = loadDeliveryConfig,
): ConfigError {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('loadConfig', () => {
  it('reads the database URL and applies the defaults: all the admin routes need', () => {
    const config = loadConfig(DB_ENV);
    expect(config).toEqual({
      databaseUrl: DB_ENV.HERALD_DATABASE_URL,
      databasePoolMax: 4,
      databaseSecretId: undefined,
      logLevel: 'info',
      allowedOrigins: [],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the optional variables', () => {
    const secret = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db';
    expect(
      loadConfig({
        ...DB_ENV,
        HERALD_DATABASE_POOL_MAX: '2',
        HERALD_DATABASE_SECRET_ID: secret,
        HERALD_LOG_LEVEL: 'debug',
        HERALD_ALLOWED_ORIGINS: 'https://app.example.com,http://localhost:5173',
      }),
    ).toEqual({
      databaseUrl: DB_ENV.HERALD_DATABASE_URL,
      databasePoolMax: 2,
      databaseSecretId: secret,
      logLevel: 'debug',
      allowedOrigins: ['https://app.example.com', 'http://localhost:5173'],
    });
    expect(configError({ ...DB_ENV, HERALD_ALLOWED_ORIGINS: '*' }, loadConfig).variables).toEqual([
      'HERALD_ALLOWED_ORIGINS',
    ]);
  });

  it('names every missing or invalid variable, never a value', () => {
    const error = configError(
      {
        HERALD_DATABASE_URL: 'mysql://u:secret-pw@h/db',
        HERALD_DATABASE_POOL_MAX: '0',
        HERALD_LOG_LEVEL: 'loud',
      },
      loadConfig,
    );
    expect(error.variables).toEqual(
      expect.arrayContaining(['HERALD_DATABASE_URL', 'HERALD_DATABASE_POOL_MAX', 'HERALD_LOG_LEVEL']),
    );
    expect(error.message).not.toContain('secret-pw');
    expect(configError({}, loadConfig).variables).toEqual(['HERALD_DATABASE_URL']);
  });
});

describe('loadDeliveryConfig', () => {
  it('reads the required variables and applies the defaults', () => {
    const config = loadDeliveryConfig(FILE_ENV);
    expect(config).toEqual({
      region: 'eu-west-1',
      filesBucket: 'herald-files',
      s3Endpoint: undefined,
      srvgwUrl: 'https://srvgw.example.com/base',
      srvgwCredential: { kind: 'plain', value: 'top-secret-credential' },
      connectTimeoutMs: 3000,
      idleTimeoutMs: 5000,
      fetchQueueUrl: FILE_ENV.HERALD_FILE_FETCH_QUEUE_URL,
      sqsEndpoint: undefined,
      cdn: undefined,
      delivery: {
        maxBytes: 512 * 1024 * 1024,
        allowedContentTypes: DEFAULT_ALLOWED_CONTENT_TYPES,
        linkTtlSeconds: 300,
        budgetMs: 20_000,
        cacheMaxAgeMs: 0,
        retry: { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2000 },
      },
    });
    expect(Object.isFrozen(config.delivery)).toBe(true);
  });

  it('reads the CloudFront distribution and its signing key secret, set together or not at all', () => {
    const cdnUrl = 'https://files.example.com';
    const keyArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:signing-key-AbCdEf';
    expect(
      loadDeliveryConfig({
        ...FILE_ENV,
        HERALD_FILES_CDN_URL: cdnUrl,
        HERALD_FILES_SIGNING_KEY_SECRET_ARN: keyArn,
      }).cdn,
    ).toEqual({ url: cdnUrl, signingKeySecretId: keyArn });
    expect(configError({ ...FILE_ENV, HERALD_FILES_CDN_URL: cdnUrl }).message).toContain(
      'HERALD_FILES_SIGNING_KEY_SECRET_ARN',
    );
    expect(configError({ ...FILE_ENV, HERALD_FILES_SIGNING_KEY_SECRET_ARN: 'not-an-arn' }).message).toContain(
      'HERALD_FILES_SIGNING_KEY_SECRET_ARN',
    );
  });

  it('names the queue variable as the route table does', () => {
    expect(queueUrlVariable('FileFetchQueue')).toBe('HERALD_FILE_FETCH_QUEUE_URL');
  });

  it('reads the optional variables and a Secrets Manager ARN instead of the credential', () => {
    const { HERALD_SRVGW_CREDENTIAL: _plain, ...rest } = FILE_ENV;
    const config = loadDeliveryConfig({
      ...rest,
      HERALD_S3_ENDPOINT: 'http://127.0.0.1:4569',
      HERALD_SRVGW_CREDENTIAL_SECRET_ARN: ARN,
      HERALD_SRVGW_CONNECT_TIMEOUT_MS: '1000',
      HERALD_SRVGW_IDLE_TIMEOUT_MS: '2000',
      HERALD_SRVGW_MAX_ATTEMPTS: '5',
      HERALD_SQS_ENDPOINT: 'http://127.0.0.1:9',
      HERALD_FILE_MAX_BYTES: '1048576',
      HERALD_FILE_CONTENT_TYPES: 'text/csv, image/*',
      HERALD_FILE_LINK_TTL_SECONDS: '900',
      HERALD_FILE_LINK_BUDGET_MS: '0',
      HERALD_FILE_CACHE_MAX_AGE_SECONDS: '60',
    });
    expect(config).toMatchObject({
      s3Endpoint: 'http://127.0.0.1:4569',
      srvgwCredential: { kind: 'secret', secretId: ARN },
      connectTimeoutMs: 1000,
      idleTimeoutMs: 2000,
      sqsEndpoint: 'http://127.0.0.1:9',
      delivery: {
        maxBytes: 1048576,
        allowedContentTypes: ['text/csv', 'image/*'],
        linkTtlSeconds: 900,
        budgetMs: 0,
        cacheMaxAgeMs: 60_000,
        retry: { maxAttempts: 5 },
      },
    });
  });

  it('names every missing or invalid variable, never a value', () => {
    const error = configError({
      HERALD_S3_ENDPOINT: 'ftp://s3',
      HERALD_SRVGW_URL: 'ftp://x',
      HERALD_SRVGW_CREDENTIAL: 'top-secret-credential',
      HERALD_SRVGW_CREDENTIAL_SECRET_ARN: ARN,
      HERALD_FILE_LINK_TTL_SECONDS: '3600',
      HERALD_FILE_LINK_BUDGET_MS: '29000',
      HERALD_FILE_CONTENT_TYPES: '*/*',
    });
    expect(error.variables).toEqual(
      expect.arrayContaining([
        'AWS_REGION',
        'HERALD_FILES_BUCKET',
        'HERALD_S3_ENDPOINT',
        'HERALD_SRVGW_URL',
        'HERALD_SRVGW_CREDENTIAL',
        'HERALD_FILE_FETCH_QUEUE_URL',
        'HERALD_FILE_LINK_TTL_SECONDS',
        'HERALD_FILE_LINK_BUDGET_MS',
        'HERALD_FILE_CONTENT_TYPES',
      ]),
    );
    expect(error.message).not.toContain('top-secret-credential');
    const { HERALD_SRVGW_CREDENTIAL: _plain, ...none } = FILE_ENV;
    expect(configError(none).variables).toEqual(['HERALD_SRVGW_CREDENTIAL']);
    expect(configError({ ...none, HERALD_SRVGW_CREDENTIAL_SECRET_ARN: 'srvgw' }).variables).toContain(
      'HERALD_SRVGW_CREDENTIAL_SECRET_ARN',
    );
  });
});

describe('credentialProvider', () => {
  it('returns a plain credential as is', async () => {
    expect(await credentialProvider({ kind: 'plain', value: 'c' })()).toBe('c');
  });

  it('reads a secret once, as plain text or JSON {credential}', async () => {
    const read = vi.fn(async () => '  from-secret \n');
    const credential = credentialProvider({ kind: 'secret', secretId: ARN }, read);
    expect(await Promise.all([credential(), credential()])).toEqual(['from-secret', 'from-secret']);
    expect(await credential()).toBe('from-secret');
    expect(read).toHaveBeenCalledTimes(1);
    expect(read).toHaveBeenCalledWith(ARN);
    const json = credentialProvider({ kind: 'secret', secretId: ARN }, async () => '{"credential":"j"}');
    expect(await json()).toBe('j');
  });

  it('does not cache a failed read, and reports it as a retryable SecretUnavailableError', async () => {
    const read = vi.fn().mockRejectedValueOnce(new Error('extension down')).mockResolvedValueOnce('ok');
    const credential = credentialProvider({ kind: 'secret', secretId: ARN }, read);
    const error = await credential().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect((error as SecretUnavailableError).retryable).toBe(true);
    expect(await credential()).toBe('ok');
    const bad = credentialProvider({ kind: 'secret', secretId: ARN }, async () => '{"token":"x"}');
    await expect(bad()).rejects.toBeInstanceOf(SecretUnavailableError);
  });
});

function stubEnv(env: Record<string, string | undefined>): void {
  for (const name of [...Object.keys(DB_ENV), ...Object.keys(FILE_ENV), 'HERALD_S3_ENDPOINT'])
    vi.stubEnv(name, undefined);
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
}

afterEach(async () => {
  vi.unstubAllEnvs();
  await resetDeps();
});

describe('compose', () => {
  it('lets the handler modules load without any environment (config is read at first use)', () => {
    for (const module of [createFileLink, createGrant, deleteGrant, listGrants, fetchFile]) {
      expect(typeof module.handler).toBe('function');
    }
  });

  it('fails the first request with a ConfigError naming the missing database variable', async () => {
    stubEnv({});
    await resetDeps();
    const error = await fetchFile.handler({ Records: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(['HERALD_DATABASE_URL']);
  });

  it('fails the first delivery request with a ConfigError naming the missing delivery variables', async () => {
    stubEnv(DB_ENV);
    await resetDeps();
    const error = await fetchFile.handler({ Records: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(
      expect.arrayContaining([
        'AWS_REGION',
        'HERALD_FILES_BUCKET',
        'HERALD_SRVGW_URL',
        'HERALD_FILE_FETCH_QUEUE_URL',
      ]),
    );
  });

  it('builds the admin routes’ deps from the database variables alone', async () => {
    stubEnv(DB_ENV);
    await resetDeps();
    const deps = getDeps();
    expect(deps.grants).toBeInstanceOf(PgGrantRepository);
    expect(getDeps()).toBe(deps);
  });

  it('builds the delivery adapters once, on the grants repository, logger and metrics of the deps', async () => {
    stubEnv({ ...DB_ENV, ...FILE_ENV });
    await resetDeps();
    const delivery = getDeliveryDeps();
    expect(delivery.grants).toBeInstanceOf(PgGrantRepository);
    expect(delivery.grants).toBe(getDeps().grants);
    expect(delivery.log).toBe(getDeps().log);
    expect(delivery.metrics).toBe(getDeps().metrics);
    expect(delivery.files).toBeInstanceOf(S3FileStore);
    // No distribution configured: the bucket presigns its own links.
    expect(delivery.links).toBe(delivery.files);
    expect(delivery.source).toBeInstanceOf(SrvGwFileSource);
    expect(delivery.fetchQueue).toBeInstanceOf(SqsFetchQueue);
    expect(delivery.notifier).toBeInstanceOf(RealtimeFileNotifier);
    expect(delivery.maxReceives).toBe(3);
    expect(delivery.workerTimeoutMs).toBe(300_000);
    expect(getDeliveryDeps()).toBe(delivery);
    expect((delivery.source as SrvGwFileSource).urlFor('reports/a b/q3#1.csv').href).toBe(
      'https://srvgw.example.com/base/files/reports/a%20b/q3%231.csv',
    );
  });
});

describe('compose with a CloudFront distribution', () => {
  it('signs links through CloudFront instead of presigning S3', async () => {
    stubEnv({
      ...DB_ENV,
      ...FILE_ENV,
      HERALD_FILES_CDN_URL: 'https://files.example.com',
      HERALD_FILES_SIGNING_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:key-AbCdEf',
    });
    await resetDeps();
    const delivery = getDeliveryDeps();
    expect(delivery.links).toBeInstanceOf(CloudFrontDownloadLinks);
    expect(delivery.links).not.toBe(delivery.files);
  });
});

// Compile-time: the real aws-lambda event types fit the handlers, and their answers fit what
// Lambda expects. `tsc` fails on a mismatch.
export const typeChecks = {
  createFileLink: createFileLink.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  listGrants: listGrants.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  createGrant: createGrant.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  deleteGrant: deleteGrant.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  fetchFile: fetchFile.handler satisfies Handler<SQSEvent, SQSBatchResponse>,
};
