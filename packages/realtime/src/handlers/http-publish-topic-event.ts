import { REST_ROUTES } from '@herald/protocol';
import { httpRoute, json } from '@herald/runtime';
import * as z from 'zod';
import { getBaseDeps } from '../compose/base.ts';
import { getTopicPublishDeps, getTopicStoreDeps } from '../compose/topics.ts';
import type { DepsProvider } from '../compose.ts';
import { requireTopicAdmin } from '../core/topic-admin.ts';
import { publishToTopic } from '../core/topic-publish.ts';

const { method, path, request } = REST_ROUTES.publishTopicEvent;
const ROUTE = `${method} ${path}`;

/**
 * Builds `POST /admin/topics/{topic}/events {title, body, data?}` → 202 `{topic, seq, subscribers,
 * shards}` (admins only, checked before the body): the event gets the topic's next `seq`, is
 * logged for `resume` and its fan-out queued in shards.
 */
export function makeHttpPublishTopicEventHandler(
  deps: DepsProvider<
    | 'cors'
    | 'topicEvents'
    | 'topicSubscriptions'
    | 'fanout'
    | 'topicShardSize'
    | 'topicEventTtlSeconds'
    | 'clock'
    | 'log'
    | 'metrics'
  >,
) {
  return httpRoute(
    deps,
    {
      route: ROUTE,
      authorize: (caller, log) => requireTopicAdmin(caller, ROUTE, log),
      path: z.object(request.params),
      body: request.body,
    },
    async ({ path: params, body, log }, d) => json(202, await publishToTopic(d, params.topic, body, log)),
  );
}

export const handler = makeHttpPublishTopicEventHandler(() => ({
  ...getBaseDeps(),
  ...getTopicStoreDeps(),
  ...getTopicPublishDeps(),
}));
