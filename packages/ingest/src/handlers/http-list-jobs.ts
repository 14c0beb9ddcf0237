import { ListJobsQuerySchema } from '@herald/protocol';
import { httpRoute, resultReply } from '@herald/runtime';
import { getBaseDeps } from '../compose/base.ts';
import type { DepsProvider } from '../compose.ts';
import { listJobs } from '../core/job-queries.ts';

/** Builds `GET /jobs?limit=&cursor=`: the caller's jobs, newest first, `nextCursor` for the next page. */
export function makeHttpListJobsHandler(deps: DepsProvider<'cors' | 'jobs' | 'log' | 'metrics'>) {
  return httpRoute(deps, { route: 'GET /jobs', query: ListJobsQuerySchema }, async ({ caller, query }, d) =>
    resultReply(await listJobs(d, caller.userId, query)),
  );
}

export const handler = makeHttpListJobsHandler(getBaseDeps);
