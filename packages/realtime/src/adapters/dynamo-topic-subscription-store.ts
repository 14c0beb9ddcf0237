import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { TopicSubscriber, TopicSubscriptionRecord, TopicSubscriptionStore } from '../ports.ts';
import { dynamoStoreError, queryAll } from './dynamo-query.ts';

/** Options of {@link DynamoTopicSubscriptionStore}. */
export interface DynamoTopicSubscriptionStoreOptions {
  readonly client: DynamoDBDocumentClient;
  /** Physical name of a table shaped like `TOPIC_SUBSCRIPTIONS_TABLE`. */
  readonly tableName: string;
}

const fail = (operation: string, error: unknown) =>
  dynamoStoreError('topicSubscriptions', 'topic subscriptions', operation, error);

/**
 * {@link TopicSubscriptionStore} on DynamoDB: one item per (topic, connection). The fan-out reads
 * a topic's partition page by page (Query, only the key attributes); cleanup finds a
 * connection's topics on the `byConnection` GSI. Expired items are skipped on read (TTL deletes
 * lazily, dynalite never).
 *
 * @example
 * const subs = new DynamoTopicSubscriptionStore({ client, tableName: 'herald-topic-subscriptions' });
 * const ids = await subs.listConnections('announcements', Date.now());
 */
export class DynamoTopicSubscriptionStore implements TopicSubscriptionStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoTopicSubscriptionStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async add(subscription: TopicSubscriptionRecord): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...subscription, groups: [...subscription.groups] },
        }),
      );
    } catch (error) {
      throw fail('add', error);
    }
  }

  async remove(topic: string, connectionId: string): Promise<void> {
    try {
      await this.#client.send(
        new DeleteCommand({ TableName: this.#tableName, Key: { topic, connectionId } }),
      );
    } catch (error) {
      throw fail('remove', error);
    }
  }

  async removeConnection(connectionId: string): Promise<number> {
    let topics: string[];
    try {
      topics = await queryAll(
        this.#client,
        () => ({
          TableName: this.#tableName,
          IndexName: 'byConnection',
          KeyConditionExpression: '#connectionId = :connectionId',
          ProjectionExpression: '#topic',
          ExpressionAttributeNames: { '#connectionId': 'connectionId', '#topic': 'topic' },
          ExpressionAttributeValues: { ':connectionId': connectionId },
        }),
        (item) => (typeof item.topic === 'string' ? item.topic : undefined),
      );
    } catch (error) {
      throw fail('list by connection', error);
    }
    for (const topic of topics) await this.remove(topic, connectionId);
    return topics.length;
  }

  async listSubscribers(topic: string, now: number): Promise<TopicSubscriber[]> {
    return this.#listLive('list subscribers', topic, now, ['connectionId', 'groups', 'frameId'], (item) =>
      typeof item.connectionId === 'string'
        ? {
            connectionId: item.connectionId,
            groups: Array.isArray(item.groups)
              ? item.groups.filter((g): g is string => typeof g === 'string')
              : [],
            ...(typeof item.frameId === 'string' && { frameId: item.frameId }),
          }
        : undefined,
    );
  }

  async listConnections(topic: string, now: number): Promise<string[]> {
    // Only the key: the fan-out reads every subscriber of a topic on each publish.
    return this.#listLive('list', topic, now, ['connectionId'], (item) =>
      typeof item.connectionId === 'string' ? item.connectionId : undefined,
    );
  }

  /** The topic's partition, page by page, without expired items, projected to `attributes`. */
  async #listLive<T>(
    operation: string,
    topic: string,
    now: number,
    attributes: readonly string[],
    keep: (item: Record<string, unknown>) => T | undefined,
  ): Promise<T[]> {
    const nowSeconds = Math.floor(now / 1000);
    try {
      return await queryAll(
        this.#client,
        () => ({
          TableName: this.#tableName,
          KeyConditionExpression: '#topic = :topic',
          FilterExpression: '#expiresAt > :nowSeconds',
          ProjectionExpression: attributes.map((a) => `#${a}`).join(', '),
          ExpressionAttributeNames: {
            '#topic': 'topic',
            '#expiresAt': 'expiresAt',
            ...Object.fromEntries(attributes.map((a) => [`#${a}`, a])),
          },
          ExpressionAttributeValues: { ':topic': topic, ':nowSeconds': nowSeconds },
        }),
        keep,
      );
    } catch (error) {
      throw fail(operation, error);
    }
  }
}
