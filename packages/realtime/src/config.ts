import { z } from 'zod';
import { DEFAULT_CONNECTION_TTL_SECONDS, MIN_CONNECTION_TTL_SECONDS } from './core/connection.ts';
import { ConfigError } from './errors.ts';
import type { LogLevel } from './ports.ts';

/** The realtime package's validated configuration. Frozen; built once per container by `compose.ts`. */
export interface RealtimeConfig {
  /** `AWS_REGION`. */
  readonly region: string;
  /** `HERALD_CONNECTIONS_TABLE`: physical name of the connections table. */
  readonly connectionsTable: string;
  /** `HERALD_DYNAMODB_ENDPOINT`: endpoint override (dynalite locally); unset on AWS. */
  readonly dynamodbEndpoint: string | undefined;
  /** `HERALD_WS_MANAGEMENT_ENDPOINT`: the `@connections` endpoint (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`). */
  readonly wsManagementEndpoint: string | undefined;
  readonly jwt: {
    /** `HERALD_JWT_ISSUER`: expected `iss`, e.g. `https://cognito-idp.{region}.amazonaws.com/{userPoolId}`. */
    readonly issuer: string;
    /** `HERALD_JWT_AUDIENCE`: the Cognito app client id (`aud` of ID tokens, `client_id` of access tokens). */
    readonly audience: string;
    /** `HERALD_JWKS_URI`: https, or http on a loopback host (the local identity provider). */
    readonly jwksUri: string;
  };
  /** `HERALD_CONNECTION_TTL_SECONDS`: connection item lifetime, ≥ 7200. */
  readonly connectionTtlSeconds: number;
  /** `HERALD_LOG_LEVEL`: the lowest level written (default `info`). */
  readonly logLevel: LogLevel;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Whether a JWKS URI may be trusted: keys fetched over plain http could be swapped by anyone
 * on the path, so http is accepted only on the loopback interface (the local stack).
 *
 * @example
 * isAllowedJwksUri('http://127.0.0.1:4100/.well-known/jwks.json'); // true
 * isAllowedJwksUri('http://idp.example.com/jwks.json');           // false
 */
export function isAllowedJwksUri(uri: string): boolean {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
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

const EnvSchema = z.object({
  AWS_REGION: required,
  HERALD_CONNECTIONS_TABLE: required,
  HERALD_DYNAMODB_ENDPOINT: httpUrl.optional(),
  HERALD_WS_MANAGEMENT_ENDPOINT: httpUrl.optional(),
  HERALD_JWT_ISSUER: required,
  HERALD_JWT_AUDIENCE: required,
  HERALD_JWKS_URI: required.refine(isAllowedJwksUri, {
    message: 'must be an https URL (http is allowed only for loopback hosts 127.0.0.1, localhost, ::1)',
  }),
  HERALD_CONNECTION_TTL_SECONDS: z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number of seconds' })
    .transform(Number)
    .refine((seconds) => seconds >= MIN_CONNECTION_TTL_SECONDS, {
      message: `must be at least ${MIN_CONNECTION_TTL_SECONDS} (API Gateway keeps a connection open up to 2 hours)`,
    })
    .optional(),
  HERALD_LOG_LEVEL: z
    .enum(['debug', 'info', 'warn', 'error'], { error: 'must be debug, info, warn or error' })
    .optional(),
});

const VARIABLES = Object.keys(EnvSchema.shape);

/**
 * Reads and validates the realtime configuration from an environment. Empty values count as
 * unset. Throws one {@link ConfigError} naming every missing or invalid variable.
 *
 * @example
 * const config = loadConfig(process.env); // only compose.ts does this
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): RealtimeConfig {
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
    throw new ConfigError(`Invalid @herald/realtime configuration: ${lines.join('; ')}`, variables);
  }
  const e = parsed.data;
  return Object.freeze({
    region: e.AWS_REGION,
    logLevel: e.HERALD_LOG_LEVEL ?? 'info',
    connectionsTable: e.HERALD_CONNECTIONS_TABLE,
    dynamodbEndpoint: e.HERALD_DYNAMODB_ENDPOINT,
    wsManagementEndpoint: e.HERALD_WS_MANAGEMENT_ENDPOINT,
    jwt: Object.freeze({
      issuer: e.HERALD_JWT_ISSUER,
      audience: e.HERALD_JWT_AUDIENCE,
      jwksUri: e.HERALD_JWKS_URI,
    }),
    connectionTtlSeconds: e.HERALD_CONNECTION_TTL_SECONDS ?? DEFAULT_CONNECTION_TTL_SECONDS,
  });
}
