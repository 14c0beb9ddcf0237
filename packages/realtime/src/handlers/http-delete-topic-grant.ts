import { REST_ROUTES } from '@herald/protocol';
import { errorReply, httpRoute, noContent } from '@herald/runtime';
import * as z from 'zod';
import { getBaseDeps } from '../compose/base.ts';
import { getPosterDeps } from '../compose/poster.ts';
import { getTopicStoreDeps } from '../compose/topics.ts';
import type { DepsProvider } from '../compose.ts';
import { deleteTopicGrant, requireTopicAdmin } from '../core/topic-admin.ts';

const { method, path, request } = REST_ROUTES.deleteTopicGrant;
const ROUTE = `${method} ${path}`;

/**
 * Builds `DELETE /admin/topics/{topic}/grants/{group}` → 204 (admins only); 404 `NOT_FOUND` when
 * the topic is not granted to the group. Subscribers the remaining grants no longer admit leave
 * the topic at once and are told with a `FORBIDDEN` error frame.
 */
export function makeHttpDeleteTopicGrantHandler(
  deps: DepsProvider<'cors' | 'topicGrants' | 'topicSubscriptions' | 'poster' | 'clock' | 'log' | 'metrics'>,
) {
  return httpRoute(
    deps,
    {
      route: ROUTE,
      authorize: (caller, log) => requireTopicAdmin(caller, ROUTE, log),
      path: z.object(request.params),
    },
    async ({ caller, path: params, log }, d) => {
      const result = await deleteTopicGrant(d, caller, params.topic, params.group, log);
      return result.ok ? noContent() : errorReply(result.error);
    },
  );
}

export const handler = makeHttpDeleteTopicGrantHandler(() => ({
  ...getBaseDeps(),
  ...getTopicStoreDeps(),
  ...getPosterDeps(),
}));
