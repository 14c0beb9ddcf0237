import { httpRoute, resultReply } from '@herald/runtime';
import { getDeps } from '../compose/base.ts';
import type { DepsProvider } from '../compose.ts';
import { listGrants, requireAdmin } from '../core/file-grant-admin.ts';

const ROUTE = 'GET /admin/grants';

/** Builds `GET /admin/grants` → `{grants}` (admins only; 403 `FORBIDDEN` otherwise). */
export function makeHttpListGrantsHandler(deps: DepsProvider<'cors' | 'grants' | 'log' | 'metrics'>) {
  return httpRoute(
    deps,
    { route: ROUTE, authorize: (caller, log) => requireAdmin(caller, ROUTE, log) },
    async (_request, d) => resultReply(await listGrants(d)),
  );
}

export const handler = makeHttpListGrantsHandler(getDeps);
