import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  allowedOrigins,
  httpUrl,
  logLevel,
  parseEnv,
  postgresUrl,
  required,
  wholeNumber,
} from '../../src/env.ts';
import { ConfigError } from '../../src/errors.ts';

const Schema = z
  .object({
    AWS_REGION: required,
    HERALD_ENDPOINT: httpUrl.optional(),
    HERALD_POOL_MAX: wholeNumber(1, 50).optional(),
    HERALD_LOG_LEVEL: logLevel.optional(),
    HERALD_A: z.string().optional(),
    HERALD_B: z.string().optional(),
  })
  .refine((e) => (e.HERALD_A === undefined) !== (e.HERALD_B === undefined), {
    path: ['HERALD_A'],
    message: 'or HERALD_B: set exactly one of the two',
    when: () => true,
  });

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    parseEnv(Schema, env, '@herald/test');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  it('reads trimmed values and converts them', () => {
    expect(
      parseEnv(Schema, { AWS_REGION: ' eu-west-1 ', HERALD_POOL_MAX: '4', HERALD_A: 'a', OTHER: 'x' }, 'x'),
    ).toEqual({ AWS_REGION: 'eu-west-1', HERALD_POOL_MAX: 4, HERALD_A: 'a' });
  });

  it('names every missing or invalid variable in ONE error, cross-variable rules included, never a value', () => {
    const error = configError({
      HERALD_ENDPOINT: 'ftp://user:secret-pw@host',
      HERALD_POOL_MAX: '51',
      HERALD_LOG_LEVEL: 'loud',
    });
    expect(error.variables).toEqual([
      'AWS_REGION',
      'HERALD_ENDPOINT',
      'HERALD_POOL_MAX',
      'HERALD_LOG_LEVEL',
      'HERALD_A',
    ]);
    expect(error.message).toMatch(/^Invalid @herald\/test configuration: AWS_REGION is required; /);
    expect(error.message).toContain('HERALD_POOL_MAX must be between 1 and 50');
    expect(error.message).toContain('HERALD_A or HERALD_B: set exactly one of the two');
    expect(error.message).not.toContain('secret-pw');
    expect(error.retryable).toBe(false);
  });

  it('treats an empty or blank value as unset', () => {
    expect(configError({ AWS_REGION: '  ', HERALD_A: 'a' }).variables).toEqual(['AWS_REGION']);
    expect(
      parseEnv(Schema, { AWS_REGION: 'r', HERALD_ENDPOINT: '', HERALD_B: 'b' }, 'x').HERALD_ENDPOINT,
    ).toBe(undefined);
  });

  it.each(['0', '-1', '3.5', 'many'])('refuses HERALD_POOL_MAX=%s', (value) => {
    expect(configError({ AWS_REGION: 'r', HERALD_A: 'a', HERALD_POOL_MAX: value }).variables).toEqual([
      'HERALD_POOL_MAX',
    ]);
  });
});

describe('postgresUrl', () => {
  it('takes postgres:// and postgresql:// URLs, and refuses anything else without repeating it', () => {
    const Db = z.object({ HERALD_DATABASE_URL: postgresUrl });
    for (const url of ['postgres://u:pw@h/db', 'postgresql://u@h:5432/db?sslmode=verify-full'])
      expect(parseEnv(Db, { HERALD_DATABASE_URL: url }, 'db').HERALD_DATABASE_URL).toBe(url);
    for (const url of ['mysql://u:secret-pw@h/db', undefined]) {
      const error = (() => {
        try {
          parseEnv(Db, { HERALD_DATABASE_URL: url }, 'db');
        } catch (e) {
          return e as ConfigError;
        }
        throw new Error('expected a ConfigError');
      })();
      expect(error.variables).toEqual(['HERALD_DATABASE_URL']);
      expect(error.message).not.toContain('secret-pw');
    }
  });
});

describe('allowedOrigins', () => {
  it('reads comma-separated origins and refuses anything that is not an origin', () => {
    expect(allowedOrigins.parse('https://app.example.com, http://localhost:5173')).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
    for (const bad of ['https://app.example.com/', 'app.example.com', '*', 'https://a.example/path']) {
      expect(allowedOrigins.safeParse(bad).success, bad).toBe(false);
    }
  });
});
