import { httpRoute, resultReply } from '@herald/runtime';
import { getBaseDeps } from '../compose/base.ts';
import type { DepsProvider } from '../compose.ts';
import { getJobErrors } from '../core/job-queries.ts';

/**
 * Builds `GET /jobs/{id}/errors`: the first row errors of the caller's job and, when a full
 * reject report exists, a presigned GET for it (5 minutes). 404 for any other id.
 */
export function makeHttpGetJobErrorsHandler(
  deps: DepsProvider<'cors' | 'jobs' | 'objects' | 'clock' | 'log' | 'metrics'>,
) {
  return httpRoute(deps, { route: 'GET /jobs/{id}/errors' }, async ({ caller, path }, d) =>
    resultReply(await getJobErrors(d, caller.userId, path.id ?? '')),
  );
}

export const handler = makeHttpGetJobErrorsHandler(getBaseDeps);
