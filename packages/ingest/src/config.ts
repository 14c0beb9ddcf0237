import { MULTIPART_LIMITS } from '@herald/protocol';
import {
  allowedOrigins,
  httpUrl,
  type LogLevel,
  logLevel,
  parseEnv,
  postgresUrl,
  required,
  wholeNumber,
} from '@herald/runtime';
import * as z from 'zod';
import { DEFAULT_MULTIPART_THRESHOLD_BYTES } from './core/multipart-upload.ts';

/** The ingest package's validated configuration. Frozen; built once per container by `compose.ts`. */
export interface IngestConfig {
  /** `AWS_REGION`. */
  readonly region: string;
  /** `HERALD_DATABASE_URL`: `postgres://user:password@host:port/db` (RDS Proxy on AWS). Never logged. */
  readonly databaseUrl: string;
  /**
   * `HERALD_DATABASE_SECRET_ID`: Secrets Manager secret (`{username, password, …}`) holding the
   * rotated database password, read per new connection; unset locally, where the URL has it.
   */
  readonly databaseSecretId: string | undefined;
  /** `HERALD_DATABASE_POOL_MAX`: connections per container's pool (default 4). */
  readonly databasePoolMax: number;
  /** `HERALD_UPLOADS_BUCKET`: physical name of the uploads bucket. */
  readonly uploadsBucket: string;
  /** `HERALD_S3_ENDPOINT`: endpoint override (s3rver locally); unset on AWS. */
  readonly s3Endpoint: string | undefined;
  readonly progress: {
    /** `HERALD_PROGRESS_INTERVAL_MS`: least time between two `job.progress` events (default 250). */
    readonly minIntervalMs: number;
    /** `HERALD_PROGRESS_PERCENT_STEP`: a `job.progress` event at each step of this many percent (default 5; 0: time only). */
    readonly percentStep: number;
  };
  /**
   * `HERALD_MULTIPART_THRESHOLD_BYTES`: files of at least this size are uploaded in parts
   * (default 16 MiB; 5 MiB to 5 GiB, S3's part size bounds).
   */
  readonly multipartThresholdBytes: number;
  /** `HERALD_LOG_LEVEL`: the lowest level written (default `info`). */
  readonly logLevel: LogLevel;
  /** `HERALD_ALLOWED_ORIGINS`: browser origins the REST handlers answer with CORS headers (default none). */
  readonly allowedOrigins: readonly string[];
}

const EnvSchema = z.object({
  AWS_REGION: required,
  HERALD_DATABASE_URL: postgresUrl,
  HERALD_DATABASE_POOL_MAX: wholeNumber(1, 50).optional(),
  HERALD_DATABASE_SECRET_ID: z.string().min(1).optional(),
  HERALD_UPLOADS_BUCKET: required,
  HERALD_S3_ENDPOINT: httpUrl.optional(),
  HERALD_PROGRESS_INTERVAL_MS: wholeNumber(0, 60_000).optional(),
  HERALD_PROGRESS_PERCENT_STEP: wholeNumber(0, 100).optional(),
  HERALD_MULTIPART_THRESHOLD_BYTES: wholeNumber(
    MULTIPART_LIMITS.minPartBytes,
    MULTIPART_LIMITS.maxPartBytes,
  ).optional(),
  HERALD_LOG_LEVEL: logLevel.optional(),
  HERALD_ALLOWED_ORIGINS: allowedOrigins.optional(),
});

/**
 * Reads and validates the ingest configuration from an environment. Empty values count as
 * unset. Throws one `ConfigError` naming every missing or invalid variable (never a value:
 * the database URL holds a password).
 *
 * @example
 * const config = loadConfig(process.env); // only compose.ts does this
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): IngestConfig {
  const e = parseEnv(EnvSchema, env, '@herald/ingest');
  return Object.freeze({
    region: e.AWS_REGION,
    databaseUrl: e.HERALD_DATABASE_URL,
    databasePoolMax: e.HERALD_DATABASE_POOL_MAX ?? 4,
    databaseSecretId: e.HERALD_DATABASE_SECRET_ID,
    uploadsBucket: e.HERALD_UPLOADS_BUCKET,
    s3Endpoint: e.HERALD_S3_ENDPOINT,
    progress: Object.freeze({
      minIntervalMs: e.HERALD_PROGRESS_INTERVAL_MS ?? 250,
      percentStep: e.HERALD_PROGRESS_PERCENT_STEP ?? 5,
    }),
    multipartThresholdBytes: e.HERALD_MULTIPART_THRESHOLD_BYTES ?? DEFAULT_MULTIPART_THRESHOLD_BYTES,
    logLevel: e.HERALD_LOG_LEVEL ?? 'info',
    allowedOrigins: e.HERALD_ALLOWED_ORIGINS ?? [],
  });
}

/** What `POST /uploads/{jobId}/complete` reads besides {@link IngestConfig}: where completions go. */
export interface CompletionQueueConfig {
  /** `AWS_REGION`. */
  readonly region: string;
  /** `HERALD_UPLOAD_COMPLETION_QUEUE_URL`: `UploadCompletionQueue` (the stack sets it). */
  readonly queueUrl: string;
  /** `HERALD_SQS_ENDPOINT`: SQS endpoint override (the local stack); unset on AWS. */
  readonly sqsEndpoint: string | undefined;
}

const CompletionEnvSchema = z.object({
  AWS_REGION: required,
  // `queueUrlVariable('UploadCompletionQueue')` of the route table (a unit test keeps them equal).
  HERALD_UPLOAD_COMPLETION_QUEUE_URL: required.pipe(httpUrl),
  HERALD_SQS_ENDPOINT: httpUrl.optional(),
});

/**
 * Reads the completion queue's configuration: only the handler that sends to it needs (and
 * validates) these variables, so the other ingest functions start without them.
 *
 * @example
 * const { queueUrl } = loadCompletionQueueConfig(process.env); // only compose/ does this
 */
export function loadCompletionQueueConfig(
  env: Readonly<Record<string, string | undefined>>,
): CompletionQueueConfig {
  const e = parseEnv(CompletionEnvSchema, env, '@herald/ingest');
  return Object.freeze({
    region: e.AWS_REGION,
    queueUrl: e.HERALD_UPLOAD_COMPLETION_QUEUE_URL,
    sqsEndpoint: e.HERALD_SQS_ENDPOINT,
  });
}
