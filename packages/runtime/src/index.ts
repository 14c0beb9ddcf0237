/**
 * `@herald/runtime`: the Lambda kit every handler package uses — config from the environment,
 * the error base with `retryable`, retries with full-jitter backoff, the secrets-extension
 * reader, the clock, the JSON logger, the metrics port, the SQS batch loop and the REST
 * wrapper. Pure enough for any `core/`: the PostgreSQL pool (`@herald/runtime/pg`), the
 * migration runner (`@herald/runtime/migrations`) and the EMF metrics adapter
 * (`@herald/runtime/metrics-emf`) are subpaths, so a Lambda bundles them only when it uses them.
 */
export { type Clock, systemClock } from './clock.ts';
export { allowedOrigins, httpUrl, logLevel, parseEnv, postgresUrl, required, wholeNumber } from './env.ts';
export { ConfigError, HeraldError, isRetryable, SecretUnavailableError } from './errors.ts';
export {
  type CorsPolicy,
  corsHeaders,
  errorReply,
  type HttpRequest,
  type HttpResponse,
  type HttpRouteSpec,
  httpRoute,
  json,
  noContent,
  type RawParameters,
  type Reply,
  type RestContext,
  type RestProxyEvent,
  responseHeaders,
  resultReply,
  type SchemaIssue,
  toHttpResponse,
  validationFailure,
} from './http.ts';
export { type Identity, identityFromClaims, nonEmptyString, parseGroups } from './identity.ts';
export { createJsonLogger, errorFields, type LogFields, type Logger, type LogLevel } from './log.ts';
export { type MetricDimensions, type Metrics, type MetricUnit, noMetrics } from './metrics.ts';
export { ok, type Result, refuse } from './result.ts';
export {
  type BackoffPolicy,
  delay,
  fullJitterDelay,
  type RetryOptions,
  type Sleep,
  withRetries,
} from './retry.ts';
export {
  databaseSecretPassword,
  type LambdaExtensionSecretOptions,
  lambdaExtensionSecrets,
  readSecretFromLambdaExtension,
  type SecretReader,
} from './secrets.ts';
export {
  parseQueueMessage,
  processSqsBatch,
  type SqsBatchDeps,
  type SqsBatchResponse,
  type SqsDelivery,
  type SqsEvent,
  type WorkerContext,
} from './sqs.ts';
