/**
 * What the REST handlers share: the API Gateway proxy event as a structural subset (the real
 * `aws-lambda` type and the local gateway's events both fit), JSON responses, body and query
 * parsing with zod, and the error mapping every route uses.
 */
import { type ErrorEnvelope, errorEnvelope, httpStatusFor } from '@herald/protocol';
import { type HttpResponse, jsonResponse } from '@herald/realtime';
import type { z } from 'zod';
import type { Result } from '../../core/result.ts';
import { isRetryable } from '../../errors.ts';
import { errorFields } from '../../log.ts';
import type { Logger } from '../../ports.ts';

/** A REST proxy event behind API Gateway's Cognito user-pool authorizer. */
export interface IngestHttpEvent {
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly pathParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly requestContext: {
    readonly requestId?: string;
    readonly authorizer?: { readonly claims?: Readonly<Record<string, unknown>> | null } | null;
  };
}

export { type HttpResponse, jsonResponse };

/** An error envelope with the status its code maps to. */
export function errorResponse(error: ErrorEnvelope): HttpResponse {
  return jsonResponse(httpStatusFor(error.code), error);
}

/** A use case's result as a response: `status` on success, the error's own status otherwise. */
export function resultResponse<T>(result: Result<T>, status = 200): HttpResponse {
  return result.ok ? jsonResponse(status, result.value) : errorResponse(result.error);
}

// Enough to fix a request; a hostile body cannot make the error reply large.
const MAX_ISSUES = 10;
const MAX_ISSUE_CHARS = 200;

/** Schema issues as `{path, message}` (never the offending value). */
function issuesOf(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.slice(0, MAX_ISSUES).map((issue) => ({
    path: issue.path.map(String).join('.').slice(0, MAX_ISSUE_CHARS),
    message: issue.message.slice(0, MAX_ISSUE_CHARS),
  }));
}

function validate<S extends z.ZodType>(schema: S, data: unknown, what: string): Result<z.output<S>> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = issuesOf(parsed.error);
  const first = issues[0];
  const where = first && first.path !== '' ? `${first.path}: ` : '';
  return {
    ok: false,
    error: errorEnvelope('VALIDATION_FAILED', `The ${what} is invalid: ${where}${first?.message ?? ''}`, {
      issues,
    }),
  };
}

/** The JSON body checked against `schema`: `BAD_REQUEST` if it is not JSON, `VALIDATION_FAILED` with issues. */
export function parseJsonBody<S extends z.ZodType>(event: IngestHttpEvent, schema: S): Result<z.output<S>> {
  let data: unknown;
  try {
    const text = event.isBase64Encoded
      ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
      : event.body;
    data = JSON.parse(text ?? '');
  } catch {
    // The parser's message quotes the input, so it is not passed on.
    return { ok: false, error: errorEnvelope('BAD_REQUEST', 'The request body must be a JSON object.') };
  }
  return validate(schema, data, 'request body');
}

/** The query string checked against `schema`. */
export function parseQuery<S extends z.ZodType>(event: IngestHttpEvent, schema: S): Result<z.output<S>> {
  return validate(schema, event.queryStringParameters ?? {}, 'query string');
}

/**
 * Runs a route for the signed-in user (Cognito `sub`) with a request-scoped logger, and maps
 * what it throws: a retryable fault (database or S3 unreachable) → 503 `UPSTREAM_UNAVAILABLE`,
 * anything else → 500 `INTERNAL`. Neither message carries internals.
 */
export async function handleHttp(
  event: IngestHttpEvent,
  log: Logger,
  route: string,
  run: (userId: string, log: Logger) => Promise<HttpResponse>,
): Promise<HttpResponse> {
  const logger = log.child({ requestId: event.requestContext.requestId, route });
  const sub = event.requestContext.authorizer?.claims?.sub;
  if (typeof sub !== 'string' || sub === '') {
    // The Cognito authorizer guards every ingest route, so missing claims mean a deployment mistake.
    logger.log('warn', 'request without a Cognito sub claim');
    return errorResponse(errorEnvelope('UNAUTHENTICATED'));
  }
  try {
    return await run(sub, logger.child({ userId: sub }));
  } catch (error) {
    const retryable = isRetryable(error);
    logger.log('error', 'request failed', { error: errorFields(error) });
    return errorResponse(errorEnvelope(retryable ? 'UPSTREAM_UNAVAILABLE' : 'INTERNAL'));
  }
}
