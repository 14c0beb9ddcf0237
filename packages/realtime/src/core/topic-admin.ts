import { errorEnvelope, type TopicGrant, type TopicGrantList } from '@herald/protocol';
import {
  type Clock,
  errorFields,
  type Identity,
  type Logger,
  ok,
  type Result,
  refuse,
} from '@herald/runtime';
import { ConnectionGoneError } from '../errors.ts';
import type {
  ConnectionPoster,
  TopicGrantRecord,
  TopicGrantStore,
  TopicSubscriptionStore,
} from '../ports.ts';
import { mapWithConcurrency } from './concurrency.ts';
import { errorFrame } from './frame-replies.ts';
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

/** Removals (and their frames) in flight at once: a large topic's revocation fits the API's 29 s. */
const REVOKE_CONCURRENCY = 16;

/**
 * `DELETE /admin/topics/{topic}/grants/{group}`: `NOT_FOUND` when there is no such grant. A
 * revocation takes effect on open connections too: every subscriber whose recorded groups the
 * remaining grants no longer admit is removed from the topic (no later event reaches it; a
 * `resume` is refused), instead of keeping the topic until it disconnects, and is told with an
 * `error` frame (`FORBIDDEN`) under the id of its `subscribe` frame, which ends that subscription
 * in the SDK. Telling is best effort: a connection already gone (410) or a failed post is logged,
 * the removal stands. A 404 sweeps too: a retry completes a revocation a store error cut short.
 *
 * @example
 * await deleteTopicGrant(d, caller, 'ops.deploys', 'ops', log); // ok
 */
export async function deleteTopicGrant(
  d: {
    readonly topicGrants: TopicGrantStore;
    readonly topicSubscriptions: TopicSubscriptionStore;
    readonly poster: ConnectionPoster;
    readonly clock: Clock;
  },
  caller: Identity,
  topic: string,
  group: string,
  log: Logger,
): Promise<Result<void>> {
  const deleted = await d.topicGrants.delete(topic, group);
  // Swept even when the grant was already gone, so the retry of a revocation whose sweep failed
  // half-way (a store error after the delete) finishes it.
  const remaining = await d.topicGrants.list(topic);
  const subscribers = await d.topicSubscriptions.listSubscribers(topic, d.clock.now());
  const revoked = subscribers.filter((s) => !isTopicGranted(topic, s.groups, remaining));
  const error = errorEnvelope(
    'FORBIDDEN',
    `Your access to the topic ${topic} was revoked; no more of its events reach you.`,
  );
  const told = await mapWithConcurrency(revoked, REVOKE_CONCURRENCY, async (subscriber) => {
    await d.topicSubscriptions.remove(topic, subscriber.connectionId);
    try {
      await d.poster.post(subscriber.connectionId, JSON.stringify(errorFrame(error, subscriber.frameId)));
      return true;
    } catch (postError) {
      if (!(postError instanceof ConnectionGoneError)) {
        log.log('warn', 'revoked subscriber not told', { topic, error: errorFields(postError) });
      }
      return false;
    }
  });
  const figures = { subscriptionsRemoved: revoked.length, subscribersTold: told.filter(Boolean).length };
  if (!deleted) {
    if (revoked.length > 0) log.log('info', 'unfinished revocation swept', { topic, group, ...figures });
    return refuse('NOT_FOUND', `${topic} is not granted to ${group}.`);
  }
  log.log('info', 'topic grant revoked', { topic, group, by: caller.userId, ...figures });
  return ok(undefined);
}
