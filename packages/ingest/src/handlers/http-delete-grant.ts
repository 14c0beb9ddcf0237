import { parseGroups } from '@herald/realtime';
import { type DepsProvider, getDeps } from '../compose.ts';
import { deleteGrant, requireAdmin } from '../core/file-grant-admin.ts';
import { errorResponse, type HttpResponse, handleHttp, type IngestHttpEvent } from './shared/http.ts';

/** Builds `DELETE /admin/grants/{id}` → 204 (admins only); 404 `NOT_FOUND` for an unknown id. */
export function makeHttpDeleteGrantHandler(deps: DepsProvider<'grants' | 'log'>) {
  return async (event: IngestHttpEvent): Promise<HttpResponse> => {
    const d = deps();
    return handleHttp(event, d.log, 'DELETE /admin/grants/{id}', async (userId, log) => {
      const caller = {
        userId,
        groups: parseGroups(event.requestContext.authorizer?.claims?.['cognito:groups']),
      };
      const admitted = requireAdmin(caller, 'DELETE /admin/grants/{id}', log);
      if (!admitted.ok) return errorResponse(admitted.error);
      const result = await deleteGrant(d, caller, event.pathParameters?.id ?? '', log);
      if (!result.ok) return errorResponse(result.error);
      return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
    });
  };
}

export const handler = makeHttpDeleteGrantHandler(getDeps);
