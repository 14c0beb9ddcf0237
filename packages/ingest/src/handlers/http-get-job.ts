import { httpRoute, resultReply } from '@herald/runtime';
import { getBaseDeps } from '../compose/base.ts';
import type { DepsProvider } from '../compose.ts';
import { getJob } from '../core/job-queries.ts';

/** Builds `GET /jobs/{id}`: the caller's job; 404 for any other id (never 403: existence is not revealed). */
export function makeHttpGetJobHandler(deps: DepsProvider<'cors' | 'jobs' | 'log' | 'metrics'>) {
  return httpRoute(deps, { route: 'GET /jobs/{id}' }, async ({ caller, path }, d) =>
    resultReply(await getJob(d, caller.userId, path.id ?? '')),
  );
}

export const handler = makeHttpGetJobHandler(getBaseDeps);
