import { errorReply, httpRoute, noContent } from '@herald/runtime';
import { getDeps } from '../compose/base.ts';
import type { DepsProvider } from '../compose.ts';
import { deleteGrant, requireAdmin } from '../core/file-grant-admin.ts';

const ROUTE = 'DELETE /admin/grants/{id}';

/** Builds `DELETE /admin/grants/{id}` → 204 (admins only); 404 `NOT_FOUND` for an unknown id. */
export function makeHttpDeleteGrantHandler(deps: DepsProvider<'cors' | 'grants' | 'log' | 'metrics'>) {
  return httpRoute(
    deps,
    { route: ROUTE, authorize: (caller, log) => requireAdmin(caller, ROUTE, log) },
    async ({ caller, path, log }, d) => {
      const result = await deleteGrant(d, caller, path.id ?? '', log);
      return result.ok ? noContent() : errorReply(result.error);
    },
  );
}

export const handler = makeHttpDeleteGrantHandler(getDeps);
