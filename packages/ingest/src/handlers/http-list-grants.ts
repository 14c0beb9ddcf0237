import { parseGroups } from '@herald/realtime';
import { type DepsProvider, getDeps } from '../compose.ts';
import { listGrants, requireAdmin } from '../core/file-grant-admin.ts';
import {
  errorResponse,
  type HttpResponse,
  handleHttp,
  type IngestHttpEvent,
  resultResponse,
} from './shared/http.ts';

/** Builds `GET /admin/grants` → `{grants}` (admins only; 403 `FORBIDDEN` otherwise). */
export function makeHttpListGrantsHandler(deps: DepsProvider<'grants' | 'log'>) {
  return async (event: IngestHttpEvent): Promise<HttpResponse> => {
    const d = deps();
    return handleHttp(event, d.log, 'GET /admin/grants', async (userId, log) => {
      const groups = parseGroups(event.requestContext.authorizer?.claims?.['cognito:groups']);
      const admitted = requireAdmin({ userId, groups }, 'GET /admin/grants', log);
      if (!admitted.ok) return errorResponse(admitted.error);
      return resultResponse(await listGrants(d));
    });
  };
}

export const handler = makeHttpListGrantsHandler(getDeps);
