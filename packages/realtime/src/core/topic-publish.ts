import { encodeServerFrame, type PublishTopicEventResponse, type TopicMessage } from '@herald/protocol';
import type { Clock, Logger } from '@herald/runtime';
import type { FanoutQueue, TopicEventLog, TopicSubscriptionStore } from '../ports.ts';
import { cutShards } from './topic-shards.ts';

/** How long the topic event log keeps an event for `resume`, by default: an hour. */
export const DEFAULT_TOPIC_EVENT_TTL_SECONDS = 3600;

/** What {@link publishToTopic} needs. */
export interface TopicPublishDeps {
  readonly topicEvents: TopicEventLog;
  readonly topicSubscriptions: TopicSubscriptionStore;
  readonly fanout: FanoutQueue;
  readonly clock: Clock;
  /** Most connection ids per fan-out shard (`HERALD_TOPIC_SHARD_SIZE`). */
  readonly topicShardSize: number;
  /** How long the log keeps the event (`HERALD_TOPIC_EVENT_TTL_SECONDS`). */
  readonly topicEventTtlSeconds: number;
}

/**
 * Publishes one message to a shared topic (the SNS entry and `POST /admin/topics/{topic}/events`):
 * 1. the topic's next `seq` (atomic counter), the event built and validated;
 * 2. the event appended to the short-lived topic log, BEFORE the fan-out, so a client that
 *    resumes after receiving it finds it there;
 * 3. the subscribers read by topic (a Query), cut into shards of at most `topicShardSize`, each
 *    queued for a fan-out worker.
 * A failure after step 1 leaves a `seq` gap (the protocol promises increasing, not consecutive).
 *
 * @throws TypeError when the message does not satisfy the protocol (a producer bug).
 * @throws StoreError when a table or the queue fails (`retryable` when transient).
 * @example
 * const { seq, shards } = await publishToTopic(d, 'announcements', { title: 'Maintenance', body: '…' }, log);
 */
export async function publishToTopic(
  d: TopicPublishDeps,
  topic: string,
  message: TopicMessage,
  log: Logger,
): Promise<PublishTopicEventResponse> {
  const seq = await d.topicEvents.nextSeq(topic);
  const now = d.clock.now();
  const event = { topic, seq, at: new Date(now).toISOString(), ...message };
  encodeServerFrame({ type: 'topic', event });
  await d.topicEvents.append(event, Math.floor(now / 1000) + d.topicEventTtlSeconds);
  const connectionIds = await d.topicSubscriptions.listConnections(topic, now);
  const shards = cutShards(connectionIds, d.topicShardSize).map((ids) => ({ event, connectionIds: ids }));
  await d.fanout.send(shards);
  log.log('info', 'topic event published', {
    topic,
    seq,
    subscribers: connectionIds.length,
    shards: shards.length,
  });
  return { topic, seq, subscribers: connectionIds.length, shards: shards.length };
}
