import {
  encodeServerFrame,
  errorEnvelope,
  isSharedTopicName,
  type ServerFrame,
  type TopicEvent,
} from '@herald/protocol';
import type {
  ConnectionPoster,
  SubscriptionStore,
  TopicEventLog,
  TopicGrantStore,
  TopicSubscriptionStore,
} from '../ports.ts';
import { errorFrame, postInOrder, withId } from './frame-replies.ts';
import { REPLAY_READ_LIMIT } from './replay.ts';
import { MAX_SUBSCRIPTIONS_PER_CONNECTION, subscriptionKey } from './subscriptions.ts';
import { isTopicGranted } from './topic-grants.ts';

/** Who sent a topic frame: the connection and the identity the authorizer attached. */
export interface TopicCaller {
  readonly connectionId: string;
  readonly userId: string;
  /** Cognito groups (`cognito:groups`), which topic grants name. */
  readonly groups: readonly string[];
  /** Epoch milliseconds. */
  readonly now: number;
}

/** What the shared-topic frames need. */
export interface TopicFramePorts {
  readonly subscriptions: SubscriptionStore;
  readonly topicGrants: TopicGrantStore;
  readonly topicSubscriptions: TopicSubscriptionStore;
  readonly topicEvents: TopicEventLog;
  readonly poster: ConnectionPoster;
  /** A topic subscription lives as long as a connection item may (then TTL removes it). */
  readonly connectionTtlSeconds: number;
}

/**
 * Whether the caller may receive the topic: the shipped defaults and the group rule first (no
 * read), then the topic's stored grants.
 */
async function granted(ports: TopicFramePorts, topic: string, groups: readonly string[]): Promise<boolean> {
  if (isTopicGranted(topic, groups, [])) return true;
  return isTopicGranted(topic, groups, await ports.topicGrants.list(topic));
}

// One refusal for "no grant": the topic may or may not have events, grants or subscribers.
const notGranted = (topic: string) =>
  errorEnvelope('FORBIDDEN', `You are not granted the topic ${topic}; an admin grants topics to groups.`);

const unknownTopic = () =>
  errorEnvelope(
    'NOT_FOUND',
    'Unknown topic: use a per-user view (jobs, files) or a shared topic of letters, digits and . _ : -.',
  );

/**
 * `subscribe {topic}` for a SHARED topic: refused (`FORBIDDEN`) without a grant; recorded on the
 * connection item (cap and ownership, `CONFLICT` past the cap or for a gone connection) and in the
 * topic subscriptions table; acknowledged with `subscribed {topic}` once both hold it, so every
 * event published after the acknowledgement reaches the connection.
 *
 * @example
 * await subscribeToTopic('announcements', '1', caller, ports); // { type: 'subscribed', id: '1', topic: 'announcements' }
 */
export async function subscribeToTopic(
  topic: string,
  id: string | undefined,
  caller: TopicCaller,
  ports: TopicFramePorts,
): Promise<ServerFrame> {
  if (!isSharedTopicName(topic)) return errorFrame(unknownTopic(), id);
  if (!(await granted(ports, topic, caller.groups))) return errorFrame(notGranted(topic), id);
  const added = await ports.subscriptions.add(
    caller.connectionId,
    caller.userId,
    subscriptionKey({ topic }),
    MAX_SUBSCRIPTIONS_PER_CONNECTION,
  );
  if (added === 'limit-reached') {
    const message = `A connection can hold at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions.`;
    return errorFrame(errorEnvelope('CONFLICT', message), id);
  }
  if (added === 'unknown-connection') {
    return errorFrame(errorEnvelope('CONFLICT', 'This connection is no longer registered; reconnect.'), id);
  }
  const expiresAt = Math.floor(caller.now / 1000) + ports.connectionTtlSeconds;
  const { connectionId, userId, groups } = caller;
  await ports.topicSubscriptions.add({ topic, connectionId, userId, expiresAt, groups, frameId: id });
  return withId({ type: 'subscribed' as const, topic }, id);
}

/**
 * `unsubscribe {topic}` for a shared topic: removed from the table first (no event reaches the
 * connection after it), then from the connection item. No reply.
 *
 * @example
 * await unsubscribeFromTopic('announcements', caller, ports);
 */
export async function unsubscribeFromTopic(
  topic: string,
  caller: TopicCaller,
  ports: Pick<TopicFramePorts, 'subscriptions' | 'topicSubscriptions'>,
): Promise<void> {
  await ports.topicSubscriptions.remove(topic, caller.connectionId);
  await ports.subscriptions.remove(caller.connectionId, caller.userId, subscriptionKey({ topic }));
}

/**
 * `resume {topic, afterSeq}`: refused without a grant (a replay is a delivery); otherwise the
 * topic log's live events after `afterSeq` (at most `REPLAY_READ_LIMIT`) as `topic` frames, then
 * `resumed {topic, lastSeq}`, all posted in order. A capped read ends at its last event, so the
 * client resumes again from there; else `lastSeq` is the topic's counter.
 *
 * @example
 * await resumeTopic('announcements', 4, '2', caller, ports); // posts seq 5…, then resumed
 */
export async function resumeTopic(
  topic: string,
  afterSeq: number,
  id: string | undefined,
  caller: TopicCaller,
  ports: TopicFramePorts,
): Promise<ServerFrame | undefined> {
  if (!isSharedTopicName(topic)) return errorFrame(unknownTopic(), id);
  if (!(await granted(ports, topic, caller.groups))) return errorFrame(notGranted(topic), id);
  const [counter, events] = await Promise.all([
    ports.topicEvents.lastSeq(topic),
    ports.topicEvents.readAfter(topic, afterSeq, caller.now, REPLAY_READ_LIMIT),
  ]);
  const lastRead = events.at(-1)?.seq ?? -1;
  const lastSeq = events.length >= REPLAY_READ_LIMIT ? lastRead : Math.max(counter, lastRead);
  const frames = [
    ...events.map((event: TopicEvent) => encodeServerFrame({ type: 'topic', event })),
    encodeServerFrame(withId({ type: 'resumed' as const, topic, lastSeq }, id)),
  ];
  await postInOrder(ports.poster, caller.connectionId, frames);
  return undefined;
}
