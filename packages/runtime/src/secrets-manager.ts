import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isRetryable, SecretUnavailableError } from './errors.ts';
import type { PasswordSource } from './pg.ts';
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
