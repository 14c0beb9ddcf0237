import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { isRetryable, SecretUnavailableError } from './errors.ts';
import type { SecretReader } from './secrets.ts';

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
