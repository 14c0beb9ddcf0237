import { type DepsProvider, getDeps } from '../compose.ts';
import { getJob } from '../core/job-queries.ts';
import { type HttpResponse, handleHttp, type IngestHttpEvent, resultResponse } from './shared/http.ts';

/** Builds `GET /jobs/{id}`: the caller's job; 404 for any other id (never 403: existence is not revealed). */
export function makeHttpGetJobHandler(deps: DepsProvider<'jobs' | 'log'>) {
  return async (event: IngestHttpEvent): Promise<HttpResponse> => {
    const d = deps();
    return handleHttp(event, d.log, 'GET /jobs/{id}', async (userId) =>
      resultResponse(await getJob(d, userId, event.pathParameters?.id ?? '')),
    );
  };
}

export const handler = makeHttpGetJobHandler(getDeps);
