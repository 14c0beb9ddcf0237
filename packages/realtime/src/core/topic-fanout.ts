import { encodeServerFrame, TopicEventSchema } from '@herald/protocol';
import {
  type BackoffPolicy,
  delay,
  isRetryable,
  type Logger,
  type Metrics,
  noMetrics,
  withRetries,
} from '@herald/runtime';
import * as z from 'zod';
import { ConnectionGoneError } from '../errors.ts';
import type { ConnectionPoster, ConnectionStore, FanoutShard, TopicSubscriptionStore } from '../ports.ts';
import { mapWithConcurrency } from './concurrency.ts';
import { DEFAULT_POST_BACKOFF, DEFAULT_PUBLISH_CONCURRENCY } from './publisher.ts';

/** A fan-out queue message: one shard as `SqsFanoutQueue` sends it. */
export const FanoutShardSchema = z.strictObject({
  event: TopicEventSchema,
  connectionIds: z.array(z.string().min(1).max(128)).min(1),
});

/** What {@link deliverShard} needs. */
export interface FanoutDeps {
  readonly poster: ConnectionPoster;
  readonly connections: ConnectionStore;
  readonly topicSubscriptions: TopicSubscriptionStore;
  /** `Deliveries` by outcome, as the publisher counts them. @default noMetrics */
  readonly metrics?: Metrics;
  /** PostToConnection calls in flight. @default DEFAULT_PUBLISH_CONCURRENCY (32) */
  readonly concurrency?: number;
  /** @default DEFAULT_POST_BACKOFF */
  readonly backoff?: BackoffPolicy;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
}

/** What one shard achieved. */
export interface ShardOutcome {
  readonly delivered: number;
  /** Connections that answered 410; removed from both tables. */
  readonly gone: number;
  /** Connections still failing after retries with a transient error: the shard is worth redelivering. */
  readonly retryable: number;
  /** Connections that failed for good (403, 413, …): not retried. */
  readonly failed: number;
}

type Delivery = 'delivered' | 'gone' | 'retryable' | 'failed';

/**
 * Posts one shard's event to each of its connections (bounded concurrency, full-jitter retries of
 * throttling and 5xx, as the publisher does). A connection that answers 410 is removed from the
 * connections table AND from every topic it subscribed to. A shard with `retryable` failures is
 * worth redelivering whole: connections that already got the event get it again, and clients
 * drop it by `seq`.
 *
 * @example
 * const outcome = await deliverShard(d, { event, connectionIds }, log);
 * if (outcome.retryable > 0) return { retry: true };
 */
export async function deliverShard(d: FanoutDeps, shard: FanoutShard, log: Logger): Promise<ShardOutcome> {
  const frame = encodeServerFrame({ type: 'topic', event: shard.event });
  const backoff = d.backoff ?? DEFAULT_POST_BACKOFF;
  const sleep = d.sleep ?? delay;
  const random = d.random ?? Math.random;
  const deliver = async (connectionId: string): Promise<Delivery> => {
    try {
      await withRetries(() => d.poster.post(connectionId, frame), {
        policy: backoff,
        sleep,
        random,
        retryable: isRetryable,
      });
      return 'delivered';
    } catch (error) {
      if (error instanceof ConnectionGoneError) return 'gone';
      log.log('warn', 'topic event not delivered to connection', { connectionId, error });
      return isRetryable(error) ? 'retryable' : 'failed';
    }
  };
  const outcomes = await mapWithConcurrency(
    shard.connectionIds,
    d.concurrency ?? DEFAULT_PUBLISH_CONCURRENCY,
    deliver,
  );
  const counts = { delivered: 0, gone: 0, retryable: 0, failed: 0 };
  for (const [index, outcome] of outcomes.entries()) {
    counts[outcome]++;
    if (outcome === 'gone') await removeGone(d, shard.connectionIds[index] as string, log);
  }
  const metrics = d.metrics ?? noMetrics;
  for (const [outcome, count] of Object.entries(counts)) {
    if (count > 0) metrics.add('Deliveries', 'Count', count, { outcome });
  }
  return counts;
}

/** Exactly the connection that answered 410, from both tables; TTL covers a failed delete. */
async function removeGone(d: FanoutDeps, connectionId: string, log: Logger): Promise<void> {
  try {
    await d.topicSubscriptions.removeConnection(connectionId);
    await d.connections.delete(connectionId);
  } catch (error) {
    log.log('warn', 'gone connection not removed; TTL will remove it', { connectionId, error });
  }
}
