import { type DepsProvider, getDeps } from '../compose.ts';
import { getJobErrors } from '../core/job-queries.ts';
import { type HttpResponse, handleHttp, type IngestHttpEvent, resultResponse } from './shared/http.ts';

/**
 * Builds `GET /jobs/{id}/errors`: the first row errors of the caller's job and, when a full
 * reject report exists, a presigned GET for it (5 minutes). 404 for any other id.
 */
export function makeHttpGetJobErrorsHandler(deps: DepsProvider<'jobs' | 'objects' | 'clock' | 'log'>) {
  return async (event: IngestHttpEvent): Promise<HttpResponse> => {
    const d = deps();
    return handleHttp(event, d.log, 'GET /jobs/{id}/errors', async (userId) =>
      resultResponse(await getJobErrors(d, userId, event.pathParameters?.id ?? '')),
    );
  };
}

export const handler = makeHttpGetJobErrorsHandler(getDeps);
