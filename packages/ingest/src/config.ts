import { z } from 'zod';
import { ConfigError } from './errors.ts';
import type { LogLevel } from './ports.ts';

/** The ingest package's validated configuration. Frozen; built once per container by `compose.ts`. */
export interface IngestConfig {
  /** `AWS_REGION`. */
  readonly region: string;
  /** `HERALD_DATABASE_URL`: `postgres://user:password@host:port/db` (RDS Proxy on AWS). Never logged. */
  readonly databaseUrl: string;
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
  /** `HERALD_LOG_LEVEL`: the lowest level written (default `info`). */
  readonly logLevel: LogLevel;
}

const httpUrl = z.string().refine(
  (value) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  },
  { message: 'must be an http(s) URL' },
);

const required = z.string({ error: 'is required' }).min(1, { error: 'is required' });

const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `must be from ${min} to ${max}` });

const EnvSchema = z.object({
  AWS_REGION: required,
  HERALD_DATABASE_URL: required.refine((value) => /^postgres(ql)?:\/\//.test(value), {
    message: 'must be a postgres:// or postgresql:// URL',
  }),
  HERALD_DATABASE_POOL_MAX: wholeNumber(1, 50).optional(),
  HERALD_UPLOADS_BUCKET: required,
  HERALD_S3_ENDPOINT: httpUrl.optional(),
  HERALD_PROGRESS_INTERVAL_MS: wholeNumber(0, 60_000).optional(),
  HERALD_PROGRESS_PERCENT_STEP: wholeNumber(0, 100).optional(),
  HERALD_LOG_LEVEL: z
    .enum(['debug', 'info', 'warn', 'error'], { error: 'must be debug, info, warn or error' })
    .optional(),
});

const VARIABLES = Object.keys(EnvSchema.shape);

/**
 * Reads and validates the ingest configuration from an environment. Empty values count as
 * unset. Throws one {@link ConfigError} naming every missing or invalid variable (never a value:
 * the database URL holds a password).
 *
 * @example
 * const config = loadConfig(process.env); // only compose.ts does this
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): IngestConfig {
  const input: Record<string, string | undefined> = {};
  for (const name of VARIABLES) {
    const value = env[name]?.trim();
    input[name] = value === '' ? undefined : value;
  }
  const parsed = EnvSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => ({
      variable: String(issue.path[0]),
      message: issue.message,
    }));
    const variables = [...new Set(problems.map((problem) => problem.variable))];
    const lines = problems.map((problem) => `${problem.variable} ${problem.message}`);
    throw new ConfigError(`Invalid @herald/ingest configuration: ${lines.join('; ')}`, variables);
  }
  const e = parsed.data;
  return Object.freeze({
    region: e.AWS_REGION,
    databaseUrl: e.HERALD_DATABASE_URL,
    databasePoolMax: e.HERALD_DATABASE_POOL_MAX ?? 4,
    uploadsBucket: e.HERALD_UPLOADS_BUCKET,
    s3Endpoint: e.HERALD_S3_ENDPOINT,
    progress: Object.freeze({
      minIntervalMs: e.HERALD_PROGRESS_INTERVAL_MS ?? 250,
      percentStep: e.HERALD_PROGRESS_PERCENT_STEP ?? 5,
    }),
    logLevel: e.HERALD_LOG_LEVEL ?? 'info',
  });
}
