import { REST_ROUTES } from '@herald/protocol';
import { httpRoute, resultReply } from '@herald/runtime';
import * as z from 'zod';
import { getBaseDeps } from '../compose/base.ts';
import { getTopicStoreDeps } from '../compose/topics.ts';
import type { DepsProvider } from '../compose.ts';
import { listTopicGrants, requireTopicAdmin } from '../core/topic-admin.ts';

const { method, path, request } = REST_ROUTES.listTopicGrants;
const ROUTE = `${method} ${path}`;

/** Builds `GET /admin/topics/{topic}/grants` → `{topic, grants}` (admins only; 403 otherwise). */
export function makeHttpListTopicGrantsHandler(
  deps: DepsProvider<'cors' | 'topicGrants' | 'log' | 'metrics'>,
) {
  return httpRoute(
    deps,
    {
      route: ROUTE,
      authorize: (caller, log) => requireTopicAdmin(caller, ROUTE, log),
      path: z.object(request.params),
    },
    async ({ path: params }, d) => resultReply(await listTopicGrants(d, params.topic)),
  );
}

export const handler = makeHttpListTopicGrantsHandler(() => ({ ...getBaseDeps(), ...getTopicStoreDeps() }));
