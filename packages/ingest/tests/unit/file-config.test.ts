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
import { RecordingLogger } from '../../../runtime/tests/support/recording-logger.ts';
import { PgGrantRepository } from '../../src/adapters/pg-grant-repository.ts';
import { type EventPublisher, RealtimeNotifier } from '../../src/adapters/realtime-notifier.ts';
import { S3FileStore } from '../../src/adapters/s3-file-store.ts';
import { SqsFetchQueue } from '../../src/adapters/sqs-fetch-queue.ts';
import { SrvGwFileSource } from '../../src/adapters/srvgw-file-source.ts';
import { credentialProvider, getDeps, getFileDeps, resetDeps } from '../../src/compose.ts';
import { loadFileConfig } from '../../src/config.ts';
import { DEFAULT_ALLOWED_CONTENT_TYPES } from '../../src/core/file-content-type.ts';
import * as createFileLink from '../../src/handlers/http-create-file-link.ts';
import * as createGrant from '../../src/handlers/http-create-grant.ts';
import * as deleteGrant from '../../src/handlers/http-delete-grant.ts';
import * as listGrants from '../../src/handlers/http-list-grants.ts';
import * as fetchFile from '../../src/handlers/sqs-fetch-file.ts';

const FILE_ENV = {
  HERALD_FILES_BUCKET: 'herald-files',
  HERALD_SRVGW_URL: 'https://srvgw.example.com/base',
  HERALD_SRVGW_CREDENTIAL: 'top-secret-credential',
  HERALD_FILE_FETCH_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/FileFetchQueue',
};
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:srvgw-AbCdEf';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadFileConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('loadFileConfig', () => {
  it('reads the required variables and applies the defaults', () => {
    const config = loadFileConfig(FILE_ENV);
    expect(config).toEqual({
      filesBucket: 'herald-files',
      srvgwUrl: 'https://srvgw.example.com/base',
      srvgwCredential: { kind: 'plain', value: 'top-secret-credential' },
      connectTimeoutMs: 3000,
      idleTimeoutMs: 5000,
      fetchQueueUrl: FILE_ENV.HERALD_FILE_FETCH_QUEUE_URL,
      sqsEndpoint: undefined,
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

  it('names the queue variable as the route table does', () => {
    expect(queueUrlVariable('FileFetchQueue')).toBe('HERALD_FILE_FETCH_QUEUE_URL');
  });

  it('reads the optional variables and a Secrets Manager ARN instead of the credential', () => {
    const { HERALD_SRVGW_CREDENTIAL: _plain, ...rest } = FILE_ENV;
    const config = loadFileConfig({
      ...rest,
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
      HERALD_SRVGW_URL: 'ftp://x',
      HERALD_SRVGW_CREDENTIAL: 'top-secret-credential',
      HERALD_SRVGW_CREDENTIAL_SECRET_ARN: ARN,
      HERALD_FILE_LINK_TTL_SECONDS: '3600',
      HERALD_FILE_LINK_BUDGET_MS: '29000',
      HERALD_FILE_CONTENT_TYPES: '*/*',
    });
    expect(error.variables).toEqual(
      expect.arrayContaining([
        'HERALD_FILES_BUCKET',
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

const BASE_ENV = {
  AWS_REGION: 'eu-west-1',
  HERALD_DATABASE_URL: 'postgres://herald:pw@127.0.0.1:1/herald',
  HERALD_UPLOADS_BUCKET: 'herald-uploads',
  HERALD_S3_ENDPOINT: 'http://127.0.0.1:2',
};

afterEach(() => {
  vi.unstubAllEnvs();
  resetDeps();
});

describe('compose: file delivery', () => {
  it('lets the file handler modules load without any environment', () => {
    for (const module of [createFileLink, createGrant, deleteGrant, listGrants, fetchFile]) {
      expect(typeof module.handler).toBe('function');
    }
  });

  it('fails the first file request with a ConfigError naming the missing file variables', async () => {
    for (const [name, value] of Object.entries(BASE_ENV)) vi.stubEnv(name, value);
    for (const name of Object.keys(FILE_ENV)) vi.stubEnv(name, undefined);
    resetDeps();
    const error = await fetchFile.handler({ Records: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(
      expect.arrayContaining(['HERALD_FILES_BUCKET', 'HERALD_SRVGW_URL', 'HERALD_FILE_FETCH_QUEUE_URL']),
    );
  });

  it('builds the file adapters once, on the same pool, S3 client and notifier as the ingest deps', async () => {
    for (const [name, value] of Object.entries({ ...BASE_ENV, ...FILE_ENV })) vi.stubEnv(name, value);
    resetDeps();
    const files = getFileDeps();
    expect(files.grants).toBeInstanceOf(PgGrantRepository);
    expect(files.grants).toBe(getDeps().grants);
    expect(files.files).toBeInstanceOf(S3FileStore);
    expect(files.source).toBeInstanceOf(SrvGwFileSource);
    expect(files.fetchQueue).toBeInstanceOf(SqsFetchQueue);
    expect(files.notifier).toBe(getDeps().notifier);
    expect(files.maxReceives).toBe(3);
    expect(files.workerTimeoutMs).toBe(300_000);
    expect(getFileDeps()).toBe(files);
    expect((files.source as SrvGwFileSource).urlFor('reports/a b/q3#1.csv').href).toBe(
      'https://srvgw.example.com/base/files/reports/a%20b/q3%231.csv',
    );
    await files.close?.();
    await getDeps().close?.();
  });
});

describe('RealtimeNotifier.fileReady', () => {
  it('publishes file.ready to the user and never logs its URL', async () => {
    const calls: unknown[] = [];
    const publisher: EventPublisher = {
      publish: async (userId, event, options) => {
        calls.push({ userId, event, options });
        return { delivered: 0, gone: 0, failed: 0 };
      },
    };
    const logs = new RecordingLogger();
    const event = {
      type: 'file.ready' as const,
      seq: 1,
      at: '2026-01-15T09:00:00.000Z',
      requestId: '00000000-0000-4000-8000-000000000001',
      path: 'reports/q3.csv',
      url: 'https://files.test/x?X-Amz-Signature=abc',
      expiresAt: '2026-01-15T09:05:00.000Z',
      size: 1,
      contentType: 'text/csv',
      fileName: 'q3.csv',
    };
    await new RealtimeNotifier({ log: logs.logger, publisher: () => publisher }).fileReady('u-1', event);
    expect(calls).toEqual([{ userId: 'u-1', event, options: undefined }]);
    expect(logs.entries[0]).toMatchObject({ message: 'event published', fileRequestId: event.requestId });
    expect(logs.text).not.toContain('X-Amz-Signature');
  });
});

// Compile-time: the real aws-lambda event types fit the file handlers.
export const typeChecks = {
  createFileLink: createFileLink.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  listGrants: listGrants.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  createGrant: createGrant.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  deleteGrant: deleteGrant.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  fetchFile: fetchFile.handler satisfies Handler<SQSEvent, SQSBatchResponse>,
};
