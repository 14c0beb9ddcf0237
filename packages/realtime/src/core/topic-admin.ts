import type { TopicGrant, TopicGrantList } from '@herald/protocol';
import { type Clock, type Identity, type Logger, ok, type Result, refuse } from '@herald/runtime';
import type { TopicGrantRecord, TopicGrantStore, TopicSubscriptionStore } from '../ports.ts';
import { ADMIN_GROUP, groupNameProblem, isTopicAdmin, isTopicGranted } from './topic-grants.ts';

/** A stored grant as the admin API shows it. */
function toTopicGrant(grant: TopicGrantRecord): TopicGrant {
  return {
    topic: grant.topic,
    group: grant.group,
    createdBy: grant.createdBy,
    createdAt: new Date(grant.createdAt).toISOString(),
  };
}

/**
 * Admits members of the admin group only (`403 FORBIDDEN` otherwise), logging the refusal.
 *
 * @example
 * httpRoute(deps, { route, authorize: (caller, log) => requireTopicAdmin(caller, route, log) }, …);
 */
export function requireTopicAdmin(caller: Identity, route: string, log: Logger): Result<void> {
  if (isTopicAdmin(caller.groups)) return ok(undefined);
  log.log('warn', 'admin route refused', { userId: caller.userId, groups: caller.groups, route });
  return refuse('FORBIDDEN', `Only members of the ${ADMIN_GROUP} group manage topics.`);
}

/**
 * `GET /admin/topics/{topic}/grants`: the topic's stored grants.
 *
 * @example
 * const { value } = await listTopicGrants(d, 'ops.deploys'); // { topic, grants: [...] }
 */
export async function listTopicGrants(
  d: { readonly topicGrants: TopicGrantStore },
  topic: string,
): Promise<Result<TopicGrantList>> {
  return ok({ topic, grants: (await d.topicGrants.list(topic)).map(toTopicGrant) });
}

/**
 * `POST /admin/topics/{topic}/grants {group}`: `VALIDATION_FAILED` for a bad group name,
 * `CONFLICT` when the topic is already granted to the group. Logged with who granted what.
 *
 * @example
 * await createTopicGrant(d, caller, 'ops.deploys', 'ops', log); // ok: the grant
 */
export async function createTopicGrant(
  d: { readonly topicGrants: TopicGrantStore; readonly clock: Clock },
  caller: Identity,
  topic: string,
  group: string,
  log: Logger,
): Promise<Result<TopicGrant>> {
  const problem = groupNameProblem(group);
  if (problem !== undefined) return refuse('VALIDATION_FAILED', problem);
  const grant = { topic, group, createdBy: caller.userId, createdAt: d.clock.now() };
  if ((await d.topicGrants.create(grant)) === 'exists') {
    return refuse('CONFLICT', `${topic} is already granted to ${group}.`);
  }
  log.log('info', 'topic grant created', { topic, group, by: caller.userId });
  return ok(toTopicGrant(grant));
}

/**
 * `DELETE /admin/topics/{topic}/grants/{group}`: `NOT_FOUND` when there is no such grant. A
 * revocation takes effect on open connections too: every subscriber whose recorded groups the
 * remaining grants no longer admit is removed from the topic (no later event reaches it; a
 * `resume` is refused), instead of keeping the topic until it disconnects.
 *
 * @example
 * await deleteTopicGrant(d, caller, 'ops.deploys', 'ops', log); // ok
 */
export async function deleteTopicGrant(
  d: {
    readonly topicGrants: TopicGrantStore;
    readonly topicSubscriptions: TopicSubscriptionStore;
    readonly clock: Clock;
  },
  caller: Identity,
  topic: string,
  group: string,
  log: Logger,
): Promise<Result<void>> {
  if (!(await d.topicGrants.delete(topic, group))) {
    return refuse('NOT_FOUND', `${topic} is not granted to ${group}.`);
  }
  const remaining = await d.topicGrants.list(topic);
  let removed = 0;
  for (const subscriber of await d.topicSubscriptions.listSubscribers(topic, d.clock.now())) {
    if (isTopicGranted(topic, subscriber.groups, remaining)) continue;
    await d.topicSubscriptions.remove(topic, subscriber.connectionId);
    removed++;
  }
  log.log('info', 'topic grant revoked', { topic, group, by: caller.userId, subscriptionsRemoved: removed });
  return ok(undefined);
}
