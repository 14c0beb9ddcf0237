import { ListJobsQuerySchema } from '@herald/protocol';
import { type DepsProvider, getDeps } from '../compose.ts';
import { listJobs } from '../core/job-queries.ts';
import {
  errorResponse,
  type HttpResponse,
  handleHttp,
  type IngestHttpEvent,
  parseQuery,
  resultResponse,
} from './shared/http.ts';

/** Builds `GET /jobs?limit=&cursor=`: the caller's jobs, newest first, `nextCursor` for the next page. */
export function makeHttpListJobsHandler(deps: DepsProvider<'jobs' | 'log'>) {
  return async (event: IngestHttpEvent): Promise<HttpResponse> => {
    const d = deps();
    return handleHttp(event, d.log, 'GET /jobs', async (userId) => {
      const query = parseQuery(event, ListJobsQuerySchema);
      if (!query.ok) return errorResponse(query.error);
      return resultResponse(await listJobs(d, userId, query.value));
    });
  };
}

export const handler = makeHttpListJobsHandler(getDeps);
