import { type HeraldEvent, isSharedTopicName } from '@herald/protocol';

/**
 * Subscriptions narrow what ONE connection receives of its user's events. Delivery is always
 * keyed by the user (the publisher reads only that user's connections), so a subscription can
 * never widen what a connection sees; it only filters:
 *
 * - a connection without subscriptions receives every event of its user (the default);
 * - a connection with subscriptions receives the events that match one of them:
 *   `job:<jobId>` that job's events, `topic:jobs` every job event, `topic:files` `file.ready`.
 *
 * The topics in {@link TOPICS} are per-user views of the user's own events. Every other valid
 * name is a SHARED topic (`announcements`, `group:<name>`; the naming rule is in
 * `@herald/protocol`'s `topic-names.ts`): its subscription is recorded on the connection as
 * `shared:<topic>` (for the per-connection cap and ownership check) and in the topic
 * subscriptions table (for the fan-out). A shared subscription never narrows what the
 * connection receives of its user's own events: those are a different stream.
 */
export const TOPICS = {
  jobs: 'every job event of the user',
  files: 'every file.ready event of the user',
} as const;

export type TopicName = keyof typeof TOPICS;

/** At most this many subscriptions per connection: they live on the connection's table item. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 20;

/** What a subscribe / unsubscribe frame names. */
export type SubscriptionTarget = { readonly jobId: string } | { readonly topic: string };

/** Whether a topic name is one this server knows. */
export function isKnownTopic(topic: string): topic is TopicName {
  return Object.hasOwn(TOPICS, topic);
}

/**
 * The stored form of a subscription.
 *
 * @example
 * subscriptionKey({ jobId: '3f1c…' }); // 'job:3f1c…'
 * subscriptionKey({ topic: 'files' }); // 'topic:files'
 * subscriptionKey({ topic: 'announcements' }); // 'shared:announcements'
 */
export function subscriptionKey(target: SubscriptionTarget): string {
  if ('jobId' in target) return `job:${target.jobId}`;
  return isSharedTopicName(target.topic) ? `shared:${target.topic}` : `topic:${target.topic}`;
}

/** Whether a stored subscription is one of a shared topic (it filters no user event). */
function isSharedKey(subscription: string): boolean {
  return subscription.startsWith('shared:');
}

/**
 * Whether a connection with these subscriptions should receive the event (see the rules above).
 *
 * @example
 * wantsEvent(undefined, event);           // true: no subscriptions, everything of its user
 * wantsEvent(['topic:files'], progress);  // false
 * wantsEvent(['shared:announcements'], progress); // true: shared topics do not narrow
 */
export function wantsEvent(subscriptions: readonly string[] | undefined, event: HeraldEvent): boolean {
  if (subscriptions === undefined || subscriptions.every(isSharedKey)) return true;
  if (event.type === 'file.ready') return subscriptions.includes('topic:files');
  return subscriptions.includes('topic:jobs') || subscriptions.includes(`job:${event.jobId}`);
}
