import { CreateFileLinkRequestSchema } from '@herald/protocol';
import { parseGroups } from '@herald/realtime';
import { type FileDepsProvider, getFileDeps } from '../compose.ts';
import { requestFileLink } from '../core/file-link.ts';
import {
  errorResponse,
  type HttpResponse,
  handleHttp,
  type IngestHttpEvent,
  jsonResponse,
  parseJsonBody,
} from './shared/http.ts';

/**
 * Builds `POST /files/links {path, waitMs?}` → 200 `{requestId, url, expiresAt, size,
 * contentType, fileName}`, or 202 `{requestId}` when the fetch outlives the budget (the link
 * then arrives as `file.ready`). Refusals: 400 `INVALID_PATH`, 403 `PATH_NOT_ALLOWED`, 404
 * `FILE_NOT_FOUND`, 413 `FILE_TOO_LARGE`, 415 `UNSUPPORTED_CONTENT_TYPE`, 503
 * `UPSTREAM_UNAVAILABLE` / 504 `UPSTREAM_TIMEOUT` with `Retry-After`.
 */
export function makeHttpCreateFileLinkHandler(deps: FileDepsProvider) {
  return async (event: IngestHttpEvent): Promise<HttpResponse> => {
    const d = deps();
    return handleHttp(event, d.log, 'POST /files/links', async (userId, log) => {
      const request = parseJsonBody(event, CreateFileLinkRequestSchema);
      if (!request.ok) return errorResponse(request.error);
      const groups = parseGroups(event.requestContext.authorizer?.claims?.['cognito:groups']);
      const outcome = await requestFileLink(d, { userId, groups }, request.value, log);
      if (outcome.kind === 'ready') return jsonResponse(200, outcome.link);
      if (outcome.kind === 'pending') return jsonResponse(202, { requestId: outcome.requestId });
      const response = errorResponse(outcome.error);
      if (outcome.retryAfterSeconds !== undefined)
        response.headers['retry-after'] = String(outcome.retryAfterSeconds);
      return response;
    });
  };
}

export const handler = makeHttpCreateFileLinkHandler(getFileDeps);
