import { REST_ROUTES } from '@herald/protocol';
import { httpRoute, resultReply } from '@herald/runtime';
import * as z from 'zod';
import { getBaseDeps } from '../compose/base.ts';
import { getTopicStoreDeps } from '../compose/topics.ts';
import type { DepsProvider } from '../compose.ts';
import { createTopicGrant, requireTopicAdmin } from '../core/topic-admin.ts';

const { method, path, request } = REST_ROUTES.createTopicGrant;
const ROUTE = `${method} ${path}`;

/**
 * Builds `POST /admin/topics/{topic}/grants {group}` → 201 grant (admins only, checked before
 * the body). 400 `VALIDATION_FAILED` for a bad topic or group, 409 `CONFLICT` for a grant that exists.
 */
export function makeHttpCreateTopicGrantHandler(
  deps: DepsProvider<'cors' | 'topicGrants' | 'clock' | 'log' | 'metrics'>,
) {
  return httpRoute(
    deps,
    {
      route: ROUTE,
      authorize: (caller, log) => requireTopicAdmin(caller, ROUTE, log),
      path: z.object(request.params),
      body: request.body,
    },
    async ({ caller, path: params, body, log }, d) =>
      resultReply(await createTopicGrant(d, caller, params.topic, body.group, log), 201),
  );
}

export const handler = makeHttpCreateTopicGrantHandler(() => ({ ...getBaseDeps(), ...getTopicStoreDeps() }));
