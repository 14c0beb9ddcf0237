import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { TopicSubscriber, TopicSubscriptionStore } from '../ports.ts';
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

  async add(
    topic: string,
    connectionId: string,
    userId: string,
    expiresAt: number,
    groups: readonly string[],
    frameId?: string,
  ): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { topic, connectionId, userId, expiresAt, groups: [...groups], frameId },
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
    const nowSeconds = Math.floor(now / 1000);
    try {
      return await queryAll(
        this.#client,
        () => ({
          TableName: this.#tableName,
          KeyConditionExpression: '#topic = :topic',
          FilterExpression: '#expiresAt > :nowSeconds',
          ProjectionExpression: '#connectionId, #groups, #frameId',
          ExpressionAttributeNames: {
            '#topic': 'topic',
            '#connectionId': 'connectionId',
            '#expiresAt': 'expiresAt',
            '#groups': 'groups',
            '#frameId': 'frameId',
          },
          ExpressionAttributeValues: { ':topic': topic, ':nowSeconds': nowSeconds },
        }),
        (item) =>
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
    } catch (error) {
      throw fail('list subscribers', error);
    }
  }

  async listConnections(topic: string, now: number): Promise<string[]> {
    const nowSeconds = Math.floor(now / 1000);
    try {
      return await queryAll(
        this.#client,
        () => ({
          TableName: this.#tableName,
          KeyConditionExpression: '#topic = :topic',
          FilterExpression: '#expiresAt > :nowSeconds',
          ProjectionExpression: '#connectionId',
          ExpressionAttributeNames: {
            '#topic': 'topic',
            '#connectionId': 'connectionId',
            '#expiresAt': 'expiresAt',
          },
          ExpressionAttributeValues: { ':topic': topic, ':nowSeconds': nowSeconds },
        }),
        (item) => (typeof item.connectionId === 'string' ? item.connectionId : undefined),
      );
    } catch (error) {
      throw fail('list', error);
    }
  }
}
