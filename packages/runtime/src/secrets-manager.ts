import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type pg from 'pg';
import { isRetryable, SecretUnavailableError } from './errors.ts';
import type { Logger } from './log.ts';
import { createPgPool, type PasswordSource, type PgPoolConfig } from './pg.ts';
import { databaseSecretPassword, lambdaExtensionSecrets, type SecretReader } from './secrets.ts';

/**
 * Reads a secret straight from Secrets Manager (`GetSecretValue`, never cached): what a function
 * does when a cached value turned out stale (a rotated database password). Its own subpath, so
 * only the functions that need it bundle the Secrets Manager client. The function needs
 * `secretsmanager:GetSecretValue` on the secret, and a route to the service (in Herald's VPC, its
 * interface endpoint).
 *
 * @example
 * const fresh = secretsManagerReader(new SecretsManagerClient({}));
 * const text = await fresh(arn);
 */
export function secretsManagerReader(client: SecretsManagerClient): SecretReader {
  return async (secretId) => {
    let output: { SecretString?: string | undefined };
    try {
      output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      throw new SecretUnavailableError('Secrets Manager did not return the secret', {
        cause: error,
        retryable: status === undefined || status >= 500 || status === 429 || isRetryable(error),
      });
    }
    if (typeof output.SecretString !== 'string')
      throw new SecretUnavailableError('the secret has no SecretString');
    return output.SecretString;
  };
}

/**
 * The database password a Lambda's pool uses: the secret through the Parameters and Secrets
 * extension (cached up to `SECRETS_MANAGER_TTL`), and straight from Secrets Manager once the
 * database refused a cached password (a rotation happened since). Its Secrets Manager client is
 * built at the first fresh read only. Called by `compose.ts`, which passes `process.env`.
 *
 * @example
 * const pool = createPgPool({ url, password: rotatedDatabasePassword(secretArn, process.env) }, log);
 */
export function rotatedDatabasePassword(
  secretId: string,
  env: Readonly<Record<string, string | undefined>>,
): PasswordSource {
  let fresh: SecretReader | undefined;
  return databaseSecretPassword(secretId, {
    cached: lambdaExtensionSecrets(env),
    fresh: (id) => {
      fresh ??= secretsManagerReader(new SecretsManagerClient({}));
      return fresh(id);
    },
  });
}

/**
 * A pool on `url` whose password, when `secretId` is set, is the rotated database secret's
 * ({@link rotatedDatabasePassword}, read per new connection, so a rotation needs no redeploy);
 * without one the URL carries the password (the local stack's own URL).
 *
 * @example
 * const pool = createRotatedPgPool({ url, secretId: config.databaseSecretId, max: 2 }, process.env, log);
 */
export function createRotatedPgPool(
  config: Omit<PgPoolConfig, 'password'> & { readonly secretId?: string },
  env: Readonly<Record<string, string | undefined>>,
  log: Logger,
): pg.Pool {
  const { secretId, ...pool } = config;
  return createPgPool(
    { ...pool, ...(secretId !== undefined && { password: rotatedDatabasePassword(secretId, env) }) },
    log,
  );
}
