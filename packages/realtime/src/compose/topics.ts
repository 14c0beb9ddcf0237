import { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoTopicEventLog } from '../adapters/dynamo-topic-event-log.ts';
import { DynamoTopicGrantStore } from '../adapters/dynamo-topic-grant-store.ts';
import { DynamoTopicSubscriptionStore } from '../adapters/dynamo-topic-subscription-store.ts';
import { SqsFanoutQueue } from '../adapters/sqs-fanout-queue.ts';
import type { RealtimeDeps } from '../compose.ts';
import {
  loadTopicPublishConfig,
  loadTopicTablesConfig,
  type TopicPublishConfig,
  type TopicTablesConfig,
} from '../config.ts';
import { getConfig } from './base.ts';
import { getDocuments } from './stores.ts';

// Shared topics' parts: the three topic tables (`ws-default`, `ws-disconnect`, the grant routes,
// the fan-out worker) and, for publishers only, the fan-out queue's SQS client.

/** The topic tables. */
export type TopicStoreDeps = Pick<RealtimeDeps, 'topicGrants' | 'topicSubscriptions' | 'topicEvents'>;

/** What publishing to a topic adds: the fan-out queue, the shard size and the log's TTL. */
export type TopicPublishDepsPart = Pick<RealtimeDeps, 'fanout' | 'topicShardSize' | 'topicEventTtlSeconds'>;

/**
 * The topic table adapters on a document client.
 *
 * @example
 * const { topicSubscriptions } = buildTopicStoreDeps(loadTopicTablesConfig(process.env), documents);
 */
export function buildTopicStoreDeps(
  config: TopicTablesConfig,
  documents: DynamoDBDocumentClient,
): TopicStoreDeps {
  return {
    topicGrants: new DynamoTopicGrantStore({ client: documents, tableName: config.topicGrantsTable }),
    topicSubscriptions: new DynamoTopicSubscriptionStore({
      client: documents,
      tableName: config.topicSubscriptionsTable,
    }),
    topicEvents: new DynamoTopicEventLog({ client: documents, tableName: config.topicEventsTable }),
  };
}

/**
 * The fan-out queue (its own SQS client) and the publishing limits.
 *
 * @example
 * const { fanout } = buildTopicPublishDeps(loadTopicPublishConfig(process.env), 'us-east-1');
 */
export function buildTopicPublishDeps(config: TopicPublishConfig, region: string): TopicPublishDepsPart {
  const sqs = new SQSClient({ region, endpoint: config.sqsEndpoint });
  return {
    fanout: new SqsFanoutQueue({ client: sqs, queueUrl: config.fanoutQueueUrl }),
    topicShardSize: config.topicShardSize,
    topicEventTtlSeconds: config.topicEventTtlSeconds,
  };
}

let topicStores: TopicStoreDeps | undefined;
let topicPublish: TopicPublishDepsPart | undefined;

/**
 * The container's topic tables, built at the first call and reused.
 *
 * @example
 * export const handler = makeWsDisconnectHandler(() => ({ ...getBaseDeps(), ...getStoreDeps(), ...getTopicStoreDeps() }));
 */
export function getTopicStoreDeps(): TopicStoreDeps {
  topicStores ??= buildTopicStoreDeps(loadTopicTablesConfig(process.env), getDocuments());
  return topicStores;
}

/**
 * The container's fan-out queue and publishing limits, built at the first call and reused.
 *
 * @example
 * const { fanout } = getTopicPublishDeps();
 */
export function getTopicPublishDeps(): TopicPublishDepsPart {
  topicPublish ??= buildTopicPublishDeps(loadTopicPublishConfig(process.env), getConfig().region);
  return topicPublish;
}

/** Forgets the topic parts (`resetDeps` in `compose.ts` calls it). */
export function resetTopicDeps(): void {
  topicStores = undefined;
  topicPublish = undefined;
}
