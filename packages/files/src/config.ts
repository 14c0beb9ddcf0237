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
import { DEFAULT_SRVGW_RETRY } from './core/file-backoff.ts';
import { DEFAULT_ALLOWED_CONTENT_TYPES, parseAllowlist } from './core/file-content-type.ts';
import type { FileDeliverySettings } from './core/file-fetch.ts';

/**
 * What every handler of the package needs (the grants table and logging): the admin routes need
 * nothing else. Frozen; built once per container by `compose.ts`.
 *
 * @example
 * const config: FilesConfig = loadConfig(process.env); // only compose.ts does this
 */
export interface FilesConfig {
  /** `HERALD_DATABASE_URL`: `postgres://user:password@host:port/db` (RDS Proxy on AWS). Never logged. */
  readonly databaseUrl: string;
  /**
   * `HERALD_DATABASE_SECRET_ID`: Secrets Manager secret (`{username, password, …}`) holding the
   * rotated database password, read per new connection; unset locally, where the URL has it.
   */
  readonly databaseSecretId: string | undefined;
  /** `HERALD_DATABASE_POOL_MAX`: connections per container's pool (default 4). */
  readonly databasePoolMax: number;
  /** `HERALD_LOG_LEVEL`: the lowest level written (default `info`). */
  readonly logLevel: LogLevel;
  /** `HERALD_ALLOWED_ORIGINS`: browser origins the REST handlers answer with CORS headers (default none). */
  readonly allowedOrigins: readonly string[];
}

const EnvSchema = z.object({
  HERALD_DATABASE_URL: postgresUrl,
  HERALD_DATABASE_POOL_MAX: wholeNumber(1, 50).optional(),
  HERALD_DATABASE_SECRET_ID: z.string().min(1).optional(),
  HERALD_LOG_LEVEL: logLevel.optional(),
  HERALD_ALLOWED_ORIGINS: allowedOrigins.optional(),
});

/**
 * Reads and validates the configuration every handler of the package needs from an environment.
 * Empty values count as unset. Throws one `ConfigError` naming every missing or invalid variable
 * (never a value: the database URL holds a password).
 *
 * @example
 * const config = loadConfig(process.env); // only compose.ts does this
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): FilesConfig {
  const e = parseEnv(EnvSchema, env, '@herald/files');
  return Object.freeze({
    databaseUrl: e.HERALD_DATABASE_URL,
    databasePoolMax: e.HERALD_DATABASE_POOL_MAX ?? 4,
    databaseSecretId: e.HERALD_DATABASE_SECRET_ID,
    logLevel: e.HERALD_LOG_LEVEL ?? 'info',
    allowedOrigins: e.HERALD_ALLOWED_ORIGINS ?? [],
  });
}

/**
 * Where the SRV-GW bearer credential comes from.
 *
 * @example
 * const source: SrvGwCredentialSource = { kind: 'secret', secretId: arn };
 */
export type SrvGwCredentialSource =
  /** `HERALD_SRVGW_CREDENTIAL`: the value itself (local stack, tests). */
  | { readonly kind: 'plain'; readonly value: string }
  /** `HERALD_SRVGW_CREDENTIAL_SECRET_ARN`: a Secrets Manager secret, read once per container. */
  | { readonly kind: 'secret'; readonly secretId: string };

/**
 * What delivering files needs besides {@link FilesConfig}: the SRV-GW client, the files bucket,
 * the fetch queue and the limits; read only by the link handler and the fetch worker. Frozen.
 *
 * @example
 * const delivery: FileDeliveryConfig = loadDeliveryConfig(process.env); // only compose.ts does this
 */
export interface FileDeliveryConfig {
  /** `AWS_REGION`: region of the S3 and SQS clients. */
  readonly region: string;
  /** `HERALD_FILES_BUCKET`: physical name of the files bucket (the cache). */
  readonly filesBucket: string;
  /** `HERALD_S3_ENDPOINT`: endpoint override (s3rver locally); unset on AWS. */
  readonly s3Endpoint: string | undefined;
  /** `HERALD_SRVGW_URL`: SRV-GW's base URL. */
  readonly srvgwUrl: string;
  readonly srvgwCredential: SrvGwCredentialSource;
  /** `HERALD_SRVGW_CONNECT_TIMEOUT_MS` (default 3000). */
  readonly connectTimeoutMs: number;
  /** `HERALD_SRVGW_IDLE_TIMEOUT_MS` (default 5000). */
  readonly idleTimeoutMs: number;
  /** `HERALD_FILE_FETCH_QUEUE_URL`: the queue of fetches that outlive the API's budget. */
  readonly fetchQueueUrl: string;
  /** `HERALD_SQS_ENDPOINT`: SQS endpoint override (the local stack); unset on AWS. */
  readonly sqsEndpoint: string | undefined;
  /**
   * Downloads through CloudFront: `HERALD_FILES_CDN_URL` (the distribution's URL) and
   * `HERALD_FILES_SIGNING_KEY_SECRET_ARN` (the secret holding `{keyPairId, privateKey}`), set
   * together. Unset, links are presigned S3 GETs.
   */
  readonly cdn: { readonly url: string; readonly signingKeySecretId: string } | undefined;
  readonly delivery: FileDeliverySettings;
}

const MIB = 1024 * 1024;

const secretArn = z.string().regex(/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/, {
  error: 'must be a Secrets Manager secret ARN',
});

const DeliveryEnvSchema = z
  .object({
    AWS_REGION: required,
    HERALD_FILES_BUCKET: required,
    HERALD_S3_ENDPOINT: httpUrl.optional(),
    HERALD_SRVGW_URL: required.pipe(httpUrl),
    HERALD_SRVGW_CREDENTIAL: z.string().optional(),
    HERALD_SRVGW_CREDENTIAL_SECRET_ARN: secretArn.optional(),
    HERALD_SRVGW_CONNECT_TIMEOUT_MS: wholeNumber(100, 60_000).optional(),
    HERALD_SRVGW_IDLE_TIMEOUT_MS: wholeNumber(100, 120_000).optional(),
    HERALD_SRVGW_MAX_ATTEMPTS: wholeNumber(1, 10).optional(),
    // `queueUrlVariable('FileFetchQueue')` of the route table (a unit test keeps them equal).
    HERALD_FILE_FETCH_QUEUE_URL: required.pipe(httpUrl),
    HERALD_SQS_ENDPOINT: httpUrl.optional(),
    HERALD_FILES_CDN_URL: httpUrl.optional(),
    HERALD_FILES_SIGNING_KEY_SECRET_ARN: secretArn.optional(),
    HERALD_FILE_MAX_BYTES: wholeNumber(1, 5 * 1024 * 1024 * MIB).optional(),
    HERALD_FILE_CONTENT_TYPES: z
      .string()
      .transform((text) => parseAllowlist(text))
      .refine((list) => list !== undefined, {
        message: 'must be a comma-separated list of media types (type/subtype or type/*)',
      })
      .optional(),
    HERALD_FILE_LINK_TTL_SECONDS: wholeNumber(60, 900).optional(),
    HERALD_FILE_LINK_BUDGET_MS: wholeNumber(0, 25_000).optional(),
    HERALD_FILE_CACHE_MAX_AGE_SECONDS: wholeNumber(0, 86_400).optional(),
  })
  .refine(
    (e) => (e.HERALD_SRVGW_CREDENTIAL === undefined) !== (e.HERALD_SRVGW_CREDENTIAL_SECRET_ARN === undefined),
    {
      path: ['HERALD_SRVGW_CREDENTIAL'],
      message: 'or HERALD_SRVGW_CREDENTIAL_SECRET_ARN: set exactly one of the two',
      // Checked even when other variables are invalid, so one error names them all.
      when: () => true,
    },
  )
  .refine(
    (e) => (e.HERALD_FILES_CDN_URL === undefined) === (e.HERALD_FILES_SIGNING_KEY_SECRET_ARN === undefined),
    {
      path: ['HERALD_FILES_CDN_URL'],
      message: 'and HERALD_FILES_SIGNING_KEY_SECRET_ARN: set both (downloads through CloudFront) or neither',
      when: () => true,
    },
  );

/**
 * Reads and validates file delivery's configuration (the SRV-GW client, the files bucket, the
 * fetch queue, limits). Separate from {@link loadConfig} so the admin routes need none of it;
 * the link handler and the fetch worker read it at their first invocation and fail naming every
 * bad variable.
 *
 * @example
 * const delivery = loadDeliveryConfig(process.env); // only compose.ts does this
 */
export function loadDeliveryConfig(env: Readonly<Record<string, string | undefined>>): FileDeliveryConfig {
  const e = parseEnv(DeliveryEnvSchema, env, '@herald/files delivery');
  const secretId = e.HERALD_SRVGW_CREDENTIAL_SECRET_ARN;
  return Object.freeze({
    region: e.AWS_REGION,
    filesBucket: e.HERALD_FILES_BUCKET,
    s3Endpoint: e.HERALD_S3_ENDPOINT,
    srvgwUrl: e.HERALD_SRVGW_URL,
    srvgwCredential: Object.freeze(
      secretId !== undefined
        ? { kind: 'secret' as const, secretId }
        : { kind: 'plain' as const, value: e.HERALD_SRVGW_CREDENTIAL ?? '' },
    ),
    connectTimeoutMs: e.HERALD_SRVGW_CONNECT_TIMEOUT_MS ?? 3000,
    idleTimeoutMs: e.HERALD_SRVGW_IDLE_TIMEOUT_MS ?? 5000,
    fetchQueueUrl: e.HERALD_FILE_FETCH_QUEUE_URL,
    sqsEndpoint: e.HERALD_SQS_ENDPOINT,
    cdn:
      e.HERALD_FILES_CDN_URL !== undefined && e.HERALD_FILES_SIGNING_KEY_SECRET_ARN !== undefined
        ? Object.freeze({
            url: e.HERALD_FILES_CDN_URL,
            signingKeySecretId: e.HERALD_FILES_SIGNING_KEY_SECRET_ARN,
          })
        : undefined,
    delivery: Object.freeze({
      maxBytes: e.HERALD_FILE_MAX_BYTES ?? 512 * MIB,
      allowedContentTypes: Object.freeze([...(e.HERALD_FILE_CONTENT_TYPES ?? DEFAULT_ALLOWED_CONTENT_TYPES)]),
      linkTtlSeconds: e.HERALD_FILE_LINK_TTL_SECONDS ?? 300,
      budgetMs: e.HERALD_FILE_LINK_BUDGET_MS ?? 20_000,
      cacheMaxAgeMs: (e.HERALD_FILE_CACHE_MAX_AGE_SECONDS ?? 0) * 1000,
      retry: Object.freeze({
        ...DEFAULT_SRVGW_RETRY,
        maxAttempts: e.HERALD_SRVGW_MAX_ATTEMPTS ?? DEFAULT_SRVGW_RETRY.maxAttempts,
      }),
    }),
  });
}
