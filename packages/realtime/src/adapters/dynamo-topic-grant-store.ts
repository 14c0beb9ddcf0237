import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { TopicGrantRecord, TopicGrantStore } from '../ports.ts';
import { isConditionalCheckFailed } from './aws-errors.ts';
import { dynamoStoreError, queryAll } from './dynamo-query.ts';

/** Options of {@link DynamoTopicGrantStore}. */
export interface DynamoTopicGrantStoreOptions {
  readonly client: DynamoDBDocumentClient;
  /** Physical name of a table shaped like `TOPIC_GRANTS_TABLE`. */
  readonly tableName: string;
}

function toGrant(item: Record<string, unknown>): TopicGrantRecord | undefined {
  const { topic, group, createdBy, createdAt } = item;
  if (typeof topic !== 'string' || typeof group !== 'string') return undefined;
  if (typeof createdBy !== 'string' || typeof createdAt !== 'number') return undefined;
  return { topic, group, createdBy, createdAt };
}

/**
 * {@link TopicGrantStore} on DynamoDB: one item per (topic, group); a topic's grants are one
 * Query of its partition. Creating is conditional, so a grant is never overwritten.
 *
 * @example
 * const grants = new DynamoTopicGrantStore({ client, tableName: 'herald-topic-grants' });
 * await grants.create({ topic: 'ops.deploys', group: 'ops', createdBy: userId, createdAt: Date.now() });
 */
export class DynamoTopicGrantStore implements TopicGrantStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoTopicGrantStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async list(topic: string): Promise<TopicGrantRecord[]> {
    try {
      return await queryAll(
        this.#client,
        () => ({
          TableName: this.#tableName,
          KeyConditionExpression: '#topic = :topic',
          ExpressionAttributeNames: { '#topic': 'topic' },
          ExpressionAttributeValues: { ':topic': topic },
        }),
        toGrant,
      );
    } catch (error) {
      throw dynamoStoreError('topicGrants', 'topic grants', 'list', error);
    }
  }

  async create(grant: TopicGrantRecord): Promise<'created' | 'exists'> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...grant },
          ConditionExpression: 'attribute_not_exists(#topic)',
          ExpressionAttributeNames: { '#topic': 'topic' },
        }),
      );
      return 'created';
    } catch (error) {
      if (isConditionalCheckFailed(error)) return 'exists';
      throw dynamoStoreError('topicGrants', 'topic grants', 'create', error);
    }
  }

  async delete(topic: string, group: string): Promise<boolean> {
    try {
      await this.#client.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: { topic, group },
          ConditionExpression: 'attribute_exists(#topic)',
          ExpressionAttributeNames: { '#topic': 'topic' },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw dynamoStoreError('topicGrants', 'topic grants', 'delete', error);
    }
  }
}
