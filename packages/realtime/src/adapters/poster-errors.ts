import { ConnectionGoneError, PostToConnectionError } from '../errors.ts';
import { awsErrorName, awsStatusCode, isRetryableAwsError } from './aws-errors.ts';

/**
 * The one translation of a failed `@connections` call into the package's errors, shared by both
 * {@link ConnectionPoster} adapters so they cannot drift: 410 / `GoneException` →
 * {@link ConnectionGoneError}; anything else → {@link PostToConnectionError}, retryable for 429,
 * throttling, 5xx, timeouts and dropped sockets (`isRetryableAwsError`). `error` is what the
 * transport threw: an SDK service exception, a socket error (`code: 'ECONNRESET'`, …) or an
 * error shaped like the SDK's (`name` from `x-amzn-errortype`, `$metadata.httpStatusCode`).
 *
 * @example
 * try {
 *   await send();
 * } catch (error) {
 *   throw postToConnectionError('L0SM9cOFvHcCIhw=', error);
 * }
 */
export function postToConnectionError(
  connectionId: string,
  error: unknown,
): ConnectionGoneError | PostToConnectionError {
  const name = awsErrorName(error);
  const statusCode = awsStatusCode(error);
  if (name === 'GoneException' || statusCode === 410)
    return new ConnectionGoneError(connectionId, { cause: error });
  return new PostToConnectionError(connectionId, `PostToConnection failed (${name})`, {
    cause: error,
    retryable: isRetryableAwsError(error),
    ...(statusCode === undefined ? {} : { statusCode }),
  });
}
