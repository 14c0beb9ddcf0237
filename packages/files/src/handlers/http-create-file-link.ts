import { CreateFileLinkRequestSchema } from '@herald/protocol';
import { errorReply, httpRoute, json } from '@herald/runtime';
import { type DeliveryDepsProvider, getDeliveryDeps } from '../compose.ts';
import { requestFileLink } from '../core/file-link.ts';

/**
 * Builds `POST /files/links {path, waitMs?}` → 200 `{requestId, url, expiresAt, size,
 * contentType, fileName}`, or 202 `{requestId}` when the fetch outlives the budget (the link
 * then arrives as `file.ready`). Refusals: 400 `INVALID_PATH`, 403 `PATH_NOT_ALLOWED`, 404
 * `FILE_NOT_FOUND`, 413 `FILE_TOO_LARGE`, 415 `UNSUPPORTED_CONTENT_TYPE`, 503
 * `UPSTREAM_UNAVAILABLE` / 504 `UPSTREAM_TIMEOUT` with `Retry-After`.
 */
export function makeHttpCreateFileLinkHandler(deps: DeliveryDepsProvider) {
  return httpRoute(
    deps,
    { route: 'POST /files/links', body: CreateFileLinkRequestSchema },
    async ({ caller, body, log, timeLeftMs }, d) => {
      const outcome = await requestFileLink(d, caller, body, log, timeLeftMs());
      if (outcome.kind === 'ready') return json(200, outcome.link);
      if (outcome.kind === 'pending') return json(202, { requestId: outcome.requestId });
      return errorReply(
        outcome.error,
        outcome.retryAfterSeconds === undefined
          ? undefined
          : { 'retry-after': String(outcome.retryAfterSeconds) },
      );
    },
  );
}

export const handler = makeHttpCreateFileLinkHandler(getDeliveryDeps);
