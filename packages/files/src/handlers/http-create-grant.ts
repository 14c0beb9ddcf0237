import { CreateFileGrantRequestSchema } from '@herald/protocol';
import { httpRoute, resultReply } from '@herald/runtime';
import { getDeps } from '../compose/base.ts';
import type { DepsProvider } from '../compose.ts';
import { createGrant, requireAdmin } from '../core/file-grant-admin.ts';

const ROUTE = 'POST /admin/grants';

/**
 * Builds `POST /admin/grants {pathPrefix, group}` → 201 grant (admins only, checked before the
 * body). 400 `INVALID_PATH` / `VALIDATION_FAILED`, 409 `CONFLICT` for a grant that exists.
 */
export function makeHttpCreateGrantHandler(
  deps: DepsProvider<'cors' | 'grants' | 'newId' | 'clock' | 'log' | 'metrics'>,
) {
  return httpRoute(
    deps,
    {
      route: ROUTE,
      authorize: (caller, log) => requireAdmin(caller, ROUTE, log),
      body: CreateFileGrantRequestSchema,
    },
    async ({ caller, body, log }, d) => resultReply(await createGrant(d, caller, body, log), 201),
  );
}

export const handler = makeHttpCreateGrantHandler(getDeps);
