import * as z from 'zod';
import { ConfigError } from './errors.ts';

/**
 * An env value that must be set and non-empty.
 *
 * @example
 * const Env = z.object({ AWS_REGION: required });
 */
export const required = z.string({ error: 'is required' }).min(1, { error: 'is required' });

/**
 * An env value that must be an http(s) URL.
 *
 * @example
 * const Env = z.object({ HERALD_S3_ENDPOINT: httpUrl.optional() });
 */
export const httpUrl = z.string().refine(
  (value) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  },
  { message: 'must be an http(s) URL' },
);

/**
 * An env value that must be set and be a `postgres://` or `postgresql://` URL (the database URL
 * every package with a pool reads; the message never repeats the value, which may hold a password).
 *
 * @example
 * const Env = z.object({ HERALD_DATABASE_URL: postgresUrl });
 */
export const postgresUrl = required.refine((value) => /^postgres(ql)?:\/\//.test(value), {
  message: 'must be a postgres:// or postgresql:// URL',
});

/**
 * An env value that must be a whole number from `min` to `max`; `why` finishes the sentence
 * when the bounds need a reason.
 *
 * @example
 * const Env = z.object({ HERALD_DATABASE_POOL_MAX: wholeNumber(1, 50).optional() });
 */
export function wholeNumber(min: number, max: number, why = '') {
  return z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `must be between ${min} and ${max}${why}` });
}

/**
 * `HERALD_ALLOWED_ORIGINS`: browser origins the REST handlers answer with CORS headers,
 * comma-separated (`https://app.example.com,http://localhost:5173`). Each must be an origin:
 * scheme, host and port only.
 *
 * @example
 * const Env = z.object({ HERALD_ALLOWED_ORIGINS: allowedOrigins.optional() });
 */
export const allowedOrigins = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
  )
  .refine(
    (origins) =>
      origins.every((origin) => {
        try {
          return new URL(origin).origin === origin;
        } catch {
          return false;
        }
      }),
    {
      message: 'must be comma-separated origins such as https://app.example.com (no path, no trailing slash)',
    },
  );

/**
 * `HERALD_LOG_LEVEL`: the lowest level a logger writes.
 *
 * @example
 * const Env = z.object({ HERALD_LOG_LEVEL: logLevel.optional() });
 */
export const logLevel = z.enum(['debug', 'info', 'warn', 'error'], {
  error: 'must be debug, info, warn or error',
});

/**
 * Parses the variables `schema` names from `env` (values are trimmed; empty values count as
 * unset). Throws ONE {@link ConfigError} naming every missing or invalid variable — never a value:
 * database URLs and credentials are secrets. A refinement across variables reports its issue
 * under the variable it names (`path`); give it `when: () => true` so it runs even when other
 * variables are invalid, and one error names them all.
 *
 * @example
 * const e = parseEnv(z.object({ AWS_REGION: required }), process.env, '@herald/ingest');
 */
export function parseEnv<S extends z.ZodObject>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
  what: string,
): z.output<S> {
  const input: Record<string, string | undefined> = {};
  for (const name of Object.keys(schema.shape)) {
    const value = env[name]?.trim();
    input[name] = value === '' ? undefined : value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => ({
      variable: String(issue.path[0]),
      message: issue.message,
    }));
    const variables = [...new Set(problems.map((problem) => problem.variable))];
    const lines = problems.map((problem) => `${problem.variable} ${problem.message}`);
    throw new ConfigError(`Invalid ${what} configuration: ${lines.join('; ')}`, variables);
  }
  return parsed.data;
}
