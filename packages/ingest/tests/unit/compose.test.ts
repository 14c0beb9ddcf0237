import { ConfigError, type RestProxyEvent } from '@herald/runtime';
import type {
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  Handler,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PgDatasetCatalog } from '../../src/adapters/pg-dataset-catalog.ts';
import { PgJobRepository } from '../../src/adapters/pg-job-repository.ts';
import { S3ObjectStore } from '../../src/adapters/s3-object-store.ts';
import { getDeps, resetDeps } from '../../src/compose.ts';
import * as cancelJob from '../../src/handlers/http-cancel-job.ts';
import * as completeUpload from '../../src/handlers/http-complete-upload.ts';
import * as createUpload from '../../src/handlers/http-create-upload.ts';
import * as getJob from '../../src/handlers/http-get-job.ts';
import * as getJobErrors from '../../src/handlers/http-get-job-errors.ts';
import * as listJobs from '../../src/handlers/http-list-jobs.ts';
import * as sqsCompleteUpload from '../../src/handlers/sqs-complete-upload.ts';
import * as sqsIngest from '../../src/handlers/sqs-ingest.ts';

const ENV = {
  AWS_REGION: 'eu-west-1',
  HERALD_DATABASE_URL: 'postgres://herald:pw@127.0.0.1:1/herald',
  HERALD_UPLOADS_BUCKET: 'herald-uploads',
  HERALD_S3_ENDPOINT: 'http://127.0.0.1:2',
};

function clearEnv(): void {
  for (const name of [...Object.keys(ENV), 'HERALD_DATABASE_POOL_MAX', 'HERALD_LOG_LEVEL'])
    vi.stubEnv(name, undefined);
}

afterEach(() => {
  vi.unstubAllEnvs();
  resetDeps();
});

describe('compose', () => {
  it('lets the handler modules load without any environment (config is read at first use)', () => {
    for (const module of [
      createUpload,
      getJob,
      getJobErrors,
      listJobs,
      cancelJob,
      completeUpload,
      sqsIngest,
      sqsCompleteUpload,
    ]) {
      expect(typeof module.handler).toBe('function');
    }
  });

  it('fails the first invocation with a ConfigError naming the missing variables', async () => {
    clearEnv();
    resetDeps();
    const error = await sqsIngest.handler({ Records: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toEqual(
      expect.arrayContaining(['AWS_REGION', 'HERALD_DATABASE_URL', 'HERALD_UPLOADS_BUCKET']),
    );
  });

  it('reads the environment set after import and builds the deps once', async () => {
    clearEnv();
    for (const [name, value] of Object.entries(ENV)) vi.stubEnv(name, value);
    resetDeps();
    const deps = getDeps();
    expect(deps.jobs).toBeInstanceOf(PgJobRepository);
    expect(deps.work).toBe(deps.jobs);
    expect(deps.objects).toBeInstanceOf(S3ObjectStore);
    expect(deps.uploadsBucket).toBe('herald-uploads');
    expect(deps.maxReceives).toBe(3);
    // Declarations come from the database the migrations wrote, never from the bundle.
    expect(deps.datasets).toBeInstanceOf(PgDatasetCatalog);
    expect(getDeps()).toBe(deps);
    await deps.close?.();
  });
});

// Compile-time: the real aws-lambda event types fit the handlers, and their answers fit what
// Lambda expects. `tsc` fails on a mismatch.
export const typeChecks = {
  createUpload: createUpload.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  listJobs: listJobs.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  getJob: getJob.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  getJobErrors: getJobErrors.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  cancelJob: cancelJob.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  completeUpload: completeUpload.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  sqsIngest: sqsIngest.handler satisfies Handler<SQSEvent, SQSBatchResponse>,
  sqsCompleteUpload: sqsCompleteUpload.handler satisfies Handler<SQSEvent, SQSBatchResponse>,
  event: (event: APIGatewayProxyEvent): RestProxyEvent => event,
};
