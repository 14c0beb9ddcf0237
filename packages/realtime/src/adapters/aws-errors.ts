/**
 * Reading AWS SDK v3 errors at the adapter boundary: which service exception it is, its HTTP
 * status, and whether trying again can help. Adapters turn the answer into a `RealtimeError`.
 */

const RETRYABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'LimitExceededException',
  'InternalServerError',
  'InternalServerErrorException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

// Socket-level failures: the request may or may not have arrived; safe to retry for our calls
// (writes are idempotent; a post delivered twice is deduplicated by the client on `seq`).
const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

interface AwsErrorShape {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The exception name (`ConditionalCheckFailedException`, `GoneException`, ...), or `'Error'`. */
export function awsErrorName(error: unknown): string {
  const name = (error as AwsErrorShape | null)?.name;
  return typeof name === 'string' ? name : 'Error';
}

/** The HTTP status the service answered with, when there was an answer. */
export function awsStatusCode(error: unknown): number | undefined {
  const status = (error as AwsErrorShape | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Whether the same call may succeed later: throttling, 429, 5xx, timeouts and dropped sockets. */
export function isRetryableAwsError(error: unknown): boolean {
  const meta = (error ?? {}) as AwsErrorShape;
  if (RETRYABLE_NAMES.has(awsErrorName(error))) return true;
  if (meta.$fault === 'server' || meta.$retryable !== undefined) return true;
  const status = awsStatusCode(error);
  if (status !== undefined && (status === 429 || status >= 500)) return true;
  return typeof meta.code === 'string' && RETRYABLE_CODES.has(meta.code);
}

/** A conditional write or delete found its condition false. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return awsErrorName(error) === 'ConditionalCheckFailedException';
}
