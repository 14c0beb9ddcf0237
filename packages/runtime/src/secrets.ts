import { SecretUnavailableError } from './errors.ts';

/**
 * Options of {@link readSecretFromLambdaExtension}.
 *
 * @example
 * const options: LambdaExtensionSecretOptions = { sessionToken: 'IQoJb3JpZ2lu…', port: 2773 };
 */
export interface LambdaExtensionSecretOptions {
  /** `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT`; the extension's default is 2773. */
  readonly port?: number;
  /** `AWS_SESSION_TOKEN` of the function: the extension refuses requests without it. */
  readonly sessionToken: string;
  /** @default 3000 */
  readonly timeoutMs?: number;
  /** @default the platform `fetch` */
  readonly fetch?: typeof fetch;
}

/**
 * Reads a Secrets Manager secret's `SecretString` through the AWS Parameters and Secrets Lambda
 * Extension (a layer serving a cached copy on localhost), so no Secrets Manager SDK client is
 * needed. The function needs the layer and `secretsmanager:GetSecretValue` on the secret.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-secrets-manager.html
 *
 * @throws SecretUnavailableError `retryable` when the extension is unreachable or answers 5xx.
 * @example
 * const json = await readSecretFromLambdaExtension(arn, { sessionToken: process.env.AWS_SESSION_TOKEN ?? '' });
 */
export async function readSecretFromLambdaExtension(
  secretId: string,
  options: LambdaExtensionSecretOptions,
): Promise<string> {
  const url = new URL(`http://localhost:${options.port ?? 2773}/secretsmanager/get`);
  url.searchParams.set('secretId', secretId);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      headers: { 'X-Aws-Parameters-Secrets-Token': options.sessionToken },
      signal: AbortSignal.timeout(options.timeoutMs ?? 3000),
    });
  } catch (error) {
    throw new SecretUnavailableError('the secrets extension is unreachable (is the layer attached?)', {
      cause: error,
      retryable: true,
    });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new SecretUnavailableError(`the secrets extension answered HTTP ${response.status}`, {
      retryable: response.status >= 500,
    });
  }
  const body = (await response.json().catch(() => undefined)) as { SecretString?: unknown } | undefined;
  if (typeof body?.SecretString !== 'string')
    throw new SecretUnavailableError('the secret has no SecretString');
  return body.SecretString;
}

/**
 * A secret reader bound to the function's environment: `AWS_SESSION_TOKEN` (Lambda sets it) and
 * `PARAMETERS_SECRETS_EXTENSION_HTTP_PORT` (the layer's port, default 2773). Built in
 * `compose.ts`, which alone reads `process.env`.
 *
 * @example
 * const readSecret = lambdaExtensionSecrets(process.env);
 * const credential = await readSecret(config.srvgwSecretArn);
 */
export function lambdaExtensionSecrets(
  env: Readonly<Record<string, string | undefined>>,
): (secretId: string) => Promise<string> {
  const port = Number(env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? 2773);
  return (secretId) =>
    readSecretFromLambdaExtension(secretId, { sessionToken: env.AWS_SESSION_TOKEN ?? '', port });
}

/**
 * The password of a database secret (`{username, password, …}`, RDS's shape), read through
 * `read` each time it is asked for: a pool asks once per NEW connection, so a rotated password
 * is picked up without a redeploy. Built in `compose.ts` (`read` is usually
 * {@link lambdaExtensionSecrets}).
 *
 * @throws SecretUnavailableError when the secret has no `password` string or cannot be read.
 * @example
 * const pool = createPgPool({ url, password: databaseSecretPassword(secretArn, lambdaExtensionSecrets(process.env)) }, log);
 */
export function databaseSecretPassword(
  secretId: string,
  read: (secretId: string) => Promise<string>,
): () => Promise<string> {
  return async () => {
    const secret = JSON.parse(await read(secretId)) as { password?: unknown };
    if (typeof secret.password !== 'string')
      throw new SecretUnavailableError('the database secret has no password field');
    return secret.password;
  };
}
