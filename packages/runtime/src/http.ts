/**
 * The ONE wrapper of API Gateway REST proxy handlers: the caller from the Cognito claims, path /
 * query / body validation with zod, the error envelope for refusals and faults, and the response
 * headers — so a handler only parses, calls its use case and maps the outcome.
 */
import { type ErrorEnvelope, errorEnvelope, httpStatusFor } from '@herald/protocol';
import type { z } from 'zod';
import { isRetryable } from './errors.ts';
import { type Identity, identityFromClaims } from './identity.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { Result } from './result.ts';

/**
 * A REST proxy event behind API Gateway's Cognito user-pool authorizer, as a structural subset:
 * the real `aws-lambda` `APIGatewayProxyEvent` and the local gateway's events both fit it.
 *
 * @example
 * const event: RestProxyEvent = { requestContext: { authorizer: { claims: { sub, 'cognito:username': 'ada' } } } };
 */
export interface RestProxyEvent {
  /** Request headers as API Gateway passes them (the `Origin` is read for CORS). */
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  /** URL-decoded path parameters (`{id}`), `null` when the route has none. */
  readonly pathParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly requestContext: {
    readonly requestId?: string;
    readonly authorizer?: { readonly claims?: Readonly<Record<string, unknown>> | null } | null;
  };
}

/**
 * A REST proxy integration response (what Lambda hands API Gateway).
 *
 * @example
 * const response: HttpResponse = { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
 */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * What a route answers, before the wrapper renders it: a status, a JSON body (none for 204)
 * and headers of its own (`retry-after`). The wrapper adds every other header.
 *
 * @example
 * const reply: Reply = { status: 202, body: { requestId } };
 */
export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A JSON reply.
 *
 * @example
 * return json(201, { jobId });
 */
export function json(status: number, body: unknown): Reply {
  return { status, body };
}

/**
 * An error envelope with the status its code maps to.
 *
 * @example
 * return errorReply(errorEnvelope('NOT_FOUND'), { 'retry-after': '10' });
 */
export function errorReply(error: ErrorEnvelope, headers?: Readonly<Record<string, string>>): Reply {
  return { status: httpStatusFor(error.code), body: error, ...(headers !== undefined && { headers }) };
}

/**
 * A use case's result: `status` with its value, or the error's own status.
 *
 * @example
 * return resultReply(await createGrant(d, caller, body, log), 201);
 */
export function resultReply<T>(result: Result<T>, status = 200): Reply {
  return result.ok ? json(status, result.value) : errorReply(result.error);
}

/**
 * `204 No Content`.
 *
 * @example
 * return noContent();
 */
export function noContent(): Reply {
  return { status: 204 };
}

/**
 * The headers of every REST response, in one place: JSON content type when there is a body,
 * `no-store` (every body is about the signed-in user), then the reply's own headers. Pass
 * another function as {@link HttpRouteSpec.headers} to change them for a route.
 *
 * @example
 * responseHeaders({ status: 200, body: {} }); // { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }
 */
export function responseHeaders(reply: Reply): Record<string, string> {
  return {
    ...(reply.body !== undefined && { 'content-type': 'application/json; charset=utf-8' }),
    'cache-control': 'no-store',
    ...reply.headers,
  };
}

/**
 * Which browser origins may read the REST responses. With a proxy integration, API Gateway adds
 * no CORS header to what the Lambda returns: the handler must
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html). Deny by
 * default: no origins, no CORS headers.
 *
 * @example
 * const cors: CorsPolicy = { allowedOrigins: ['https://app.example.com'] };
 */
export interface CorsPolicy {
  readonly allowedOrigins: readonly string[];
}

/** Response headers a browser may read besides the simple ones (the SDK reads both). */
const EXPOSED_HEADERS = 'Retry-After, X-Amzn-RequestId';

/**
 * The CORS headers of a response to a request from `origin`: the origin itself when allowed
 * (never `*`), and `Vary: Origin` whenever origins are configured, so a cache never serves one
 * origin's answer to another.
 *
 * @example
 * corsHeaders({ allowedOrigins: ['https://app.example.com'] }, 'https://app.example.com');
 * // { vary: 'Origin', 'access-control-allow-origin': 'https://app.example.com', 'access-control-expose-headers': 'Retry-After, X-Amzn-RequestId' }
 */
export function corsHeaders(policy: CorsPolicy, origin: string | undefined): Record<string, string> {
  if (policy.allowedOrigins.length === 0) return {};
  if (origin === undefined || !policy.allowedOrigins.includes(origin)) return { vary: 'Origin' };
  return {
    vary: 'Origin',
    'access-control-allow-origin': origin,
    'access-control-expose-headers': EXPOSED_HEADERS,
  };
}

/** A request header by name, whatever its case (API Gateway keeps the client's). */
function requestHeader(event: RestProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {}))
    if (key.toLowerCase() === name) return value;
  return undefined;
}

/**
 * A reply as the proxy integration response.
 *
 * @example
 * toHttpResponse(json(200, { ok: true })).body; // '{"ok":true}'
 */
export function toHttpResponse(
  reply: Reply,
  headers: (reply: Reply) => Record<string, string> = responseHeaders,
): HttpResponse {
  return {
    statusCode: reply.status,
    headers: headers(reply),
    body: reply.body === undefined ? '' : JSON.stringify(reply.body),
  };
}

// Enough to fix a request; a hostile body cannot make the error reply large.
const MAX_ISSUES = 10;
const MAX_ISSUE_CHARS = 200;

/**
 * A schema problem as reported to clients: where, and what is wrong — never the value.
 *
 * @example
 * const issue: SchemaIssue = { path: ['platform'], message: 'Use ios, android or web.' };
 */
export interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * The `400 VALIDATION_FAILED` envelope for schema issues: `details.issues` lists at most 10
 * `{path, message}` (200 characters each) without the offending values, so a device token or
 * any other input stays out of responses and logs.
 *
 * @example
 * validationFailure(parsed.error.issues, 'request body');
 * // { code: 'VALIDATION_FAILED', message: 'The request body is invalid: platform: Use ios, android or web.', details: { issues: [...] } }
 */
export function validationFailure(issues: readonly SchemaIssue[], what: string): ErrorEnvelope {
  const listed = issues.slice(0, MAX_ISSUES).map((issue) => ({
    path: issue.path.map(String).join('.').slice(0, MAX_ISSUE_CHARS),
    message: issue.message.slice(0, MAX_ISSUE_CHARS),
  }));
  const first = listed[0];
  const where = first && first.path !== '' ? `${first.path}: ` : '';
  return errorEnvelope('VALIDATION_FAILED', `The ${what} is invalid: ${where}${first?.message ?? ''}`, {
    issues: listed,
  });
}

/** `data` checked against `schema`; without a schema, `data` as it is. */
function validate(schema: z.ZodType | undefined, data: unknown, what: string): Result<unknown> {
  if (schema === undefined) return { ok: true, value: data };
  const parsed = schema.safeParse(data);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, error: validationFailure(parsed.error.issues, what) };
}

function bodyText(event: RestProxyEvent): string | undefined {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  // API Gateway base64-encodes bodies it treats as binary.
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

function parseBody(
  event: RestProxyEvent,
  schema: z.ZodType,
  notJson: 'BAD_REQUEST' | 'VALIDATION_FAILED',
): Result<unknown> {
  const text = bodyText(event);
  let data: unknown;
  try {
    data = JSON.parse(text ?? '');
  } catch {
    // The parser's message quotes the input, so it is not passed on.
    if (notJson === 'BAD_REQUEST')
      return { ok: false, error: errorEnvelope('BAD_REQUEST', 'The request body must be a JSON object.') };
    data = text; // the schema refuses it (no body: `undefined`) with its own issues
  }
  return validate(schema, data, 'request body');
}

/**
 * Path or query parameters as API Gateway passes them (URL-decoded strings).
 *
 * @example
 * const id = request.path.id ?? '';
 */
export type RawParameters = Readonly<Record<string, string | undefined>>;

/**
 * What a route declares besides its code: what to validate and how to answer.
 *
 * @example
 * const spec: HttpRouteSpec<CreateUploadRequest> = { route: 'POST /uploads', body: CreateUploadRequestSchema };
 */
export interface HttpRouteSpec<B = undefined, Q = RawParameters, P = RawParameters> {
  /** `METHOD /path` as the route table writes it; every log line of the request carries it. */
  readonly route: string;
  /**
   * Runs before any validation, after the caller is known (e.g. an admin check): a refusal is
   * the answer, whatever the request holds.
   */
  readonly authorize?: (caller: Identity, log: Logger) => Result<unknown>;
  /** The path parameters' schema (`VALIDATION_FAILED`, "The path is invalid: …"); without one, they come as they are. */
  readonly path?: z.ZodType<P>;
  /** The query string's schema; a missing query string is `{}`; without one, it comes as it is. */
  readonly query?: z.ZodType<Q>;
  /** The JSON body's schema. */
  readonly body?: z.ZodType<B>;
  /**
   * What a body that is not JSON gets: `BAD_REQUEST` (default), or `VALIDATION_FAILED` for a
   * route whose contract lists only that (the text is then validated as it is).
   * @default 'BAD_REQUEST'
   */
  readonly notJson?: 'BAD_REQUEST' | 'VALIDATION_FAILED';
  /** Every response's headers (a later CORS policy goes here). @default responseHeaders */
  readonly headers?: (reply: Reply) => Record<string, string>;
}

/**
 * What a route's code gets: the validated request and a logger keyed by request, route and user.
 *
 * @example
 * async ({ caller, body, log }) => resultReply(await createUpload(d, caller.userId, body), 201)
 */
export interface HttpRequest<B = undefined, Q = RawParameters, P = RawParameters> {
  readonly caller: Identity;
  readonly path: P;
  readonly query: Q;
  readonly body: B;
  readonly log: Logger;
  readonly requestId: string | undefined;
  /**
   * What is left of the invocation (Lambda's `getRemainingTimeInMillis`), for a route that
   * waits on purpose: it must answer before Lambda ends it. `undefined` without a context.
   */
  timeLeftMs(): number | undefined;
}

/** The part of Lambda's context a REST route reads. */
export interface RestContext {
  getRemainingTimeInMillis?(): number;
}

/**
 * Builds a REST proxy handler. Per invocation: reads the deps, then
 * 1. the caller from the Cognito claims (`sub` and user name required) — else `401
 *    UNAUTHENTICATED` (the authorizer guards every route, so this is a deployment mistake);
 * 2. `authorize`, then path, query and body validation — `400 VALIDATION_FAILED` with bounded
 *    issues, `400 BAD_REQUEST` for a body that is not JSON;
 * 3. `run`; what it throws answers `503 UPSTREAM_UNAVAILABLE` when retryable (a database or S3
 *    outage), `500 INTERNAL` otherwise — neither carries internals; the error is logged;
 * 4. the reply rendered with the route's headers and the CORS headers of the request's origin;
 *    the invocation's metrics flushed.
 *
 * A deps failure (a `ConfigError` at the first invocation) is thrown, as Lambda reports it.
 *
 * @example
 * export const makeHttpGetJobHandler = (deps: DepsProvider<'jobs' | 'log' | 'metrics'>) =>
 *   httpRoute(deps, { route: 'GET /jobs/{id}', path: JobPathSchema }, async ({ caller, path }, d) =>
 *     resultReply(await getJob(d, caller.userId, path.id)));
 */
export function httpRoute<
  D extends { readonly log: Logger; readonly metrics: Metrics; readonly cors: CorsPolicy },
  B = undefined,
  Q = RawParameters,
  P = RawParameters,
>(
  deps: () => D,
  spec: HttpRouteSpec<B, Q, P>,
  run: (request: HttpRequest<B, Q, P>, d: D) => Promise<Reply>,
): (event: RestProxyEvent, context?: RestContext) => Promise<HttpResponse> {
  return async (event, context) => {
    const d = deps();
    const requestId = event.requestContext.requestId;
    const logger = d.log.child({ requestId, route: spec.route });
    try {
      const response = toHttpResponse(await answer(event, d, logger, requestId, context), spec.headers);
      return {
        ...response,
        headers: { ...response.headers, ...corsHeaders(d.cors, requestHeader(event, 'origin')) },
      };
    } finally {
      d.metrics.flush();
    }
  };

  async function answer(
    event: RestProxyEvent,
    d: D,
    logger: Logger,
    requestId: string | undefined,
    context: RestContext | undefined,
  ): Promise<Reply> {
    const caller = identityFromClaims(event.requestContext.authorizer?.claims);
    if (caller === undefined) {
      logger.log('warn', 'request without usable Cognito claims (sub and user name)');
      return errorReply(errorEnvelope('UNAUTHENTICATED'));
    }
    const log = logger.child({ userId: caller.userId });
    try {
      const admitted = spec.authorize?.(caller, log);
      if (admitted !== undefined && !admitted.ok) return errorReply(admitted.error);
      const path = validate(spec.path, event.pathParameters ?? {}, 'path');
      if (!path.ok) return errorReply(path.error);
      const query = validate(spec.query, event.queryStringParameters ?? {}, 'query string');
      if (!query.ok) return errorReply(query.error);
      const body =
        spec.body === undefined ? undefined : parseBody(event, spec.body, spec.notJson ?? 'BAD_REQUEST');
      if (body !== undefined && !body.ok) return errorReply(body.error);
      return await run(
        {
          caller,
          path: path.value as P,
          query: query.value as Q,
          body: body?.value as B,
          log,
          requestId,
          timeLeftMs: () => context?.getRemainingTimeInMillis?.(),
        },
        d,
      );
    } catch (error) {
      log.log('error', 'request failed', { error });
      return errorReply(errorEnvelope(isRetryable(error) ? 'UPSTREAM_UNAVAILABLE' : 'INTERNAL'));
    }
  }
}
