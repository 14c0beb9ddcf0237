import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type TopicEvent, TopicEventSchema } from '@herald/protocol';
import type { TopicEventLog } from '../ports.ts';
import { isConditionalCheckFailed } from './aws-errors.ts';
import { dynamoStoreError, queryAll } from './dynamo-query.ts';

/** Options of {@link DynamoTopicEventLog}. */
export interface DynamoTopicEventLogOptions {
  readonly client: DynamoDBDocumentClient;
  /** Physical name of a table shaped like `TOPIC_EVENTS_TABLE`. */
  readonly tableName: string;
}

/** The sort key of a topic's counter item (see `TOPIC_EVENTS_TABLE`). */
const COUNTER_SEQ = -1;

const fail = (operation: string, error: unknown) =>
  dynamoStoreError('topicEvents', 'topic event log', operation, error);

function toEvent(item: Record<string, unknown>): TopicEvent | undefined {
  if (typeof item.event !== 'string') return undefined;
  try {
    const parsed = TopicEventSchema.safeParse(JSON.parse(item.event));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * {@link TopicEventLog} on DynamoDB: the counter is one UpdateItem `ADD lastSeq 1` on the topic's
 * item at `seq` -1 (atomic: concurrent publishers get distinct values); events are items keyed
 * by (topic, seq) with a TTL, read back with a consistent Query.
 *
 * @example
 * const log = new DynamoTopicEventLog({ client, tableName: 'herald-topic-events' });
 * const seq = await log.nextSeq('announcements');
 */
export class DynamoTopicEventLog implements TopicEventLog {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoTopicEventLogOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async nextSeq(topic: string): Promise<number> {
    try {
      const { Attributes } = await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { topic, seq: COUNTER_SEQ },
          UpdateExpression: 'ADD #lastSeq :one',
          ExpressionAttributeNames: { '#lastSeq': 'lastSeq' },
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const seq = Attributes?.lastSeq;
      if (typeof seq !== 'number') throw new TypeError('the counter update returned no lastSeq');
      return seq;
    } catch (error) {
      throw fail('next seq', error);
    }
  }

  async append(event: TopicEvent, expiresAt: number): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { topic: event.topic, seq: event.seq, event: JSON.stringify(event), expiresAt },
          // A retried publish re-appends the same seq: the first write stands.
          ConditionExpression: 'attribute_not_exists(#seq)',
          ExpressionAttributeNames: { '#seq': 'seq' },
        }),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) return;
      throw fail('append', error);
    }
  }

  async lastSeq(topic: string): Promise<number> {
    try {
      const { Item } = await this.#client.send(
        new GetCommand({
          TableName: this.#tableName,
          Key: { topic, seq: COUNTER_SEQ },
          ConsistentRead: true,
        }),
      );
      return typeof Item?.lastSeq === 'number' ? Item.lastSeq : 0;
    } catch (error) {
      throw fail('last seq', error);
    }
  }

  async readAfter(topic: string, afterSeq: number, now: number, limit: number): Promise<TopicEvent[]> {
    const nowSeconds = Math.floor(now / 1000);
    try {
      return await queryAll(
        this.#client,
        (kept) => ({
          TableName: this.#tableName,
          KeyConditionExpression: '#topic = :topic AND #seq > :afterSeq',
          FilterExpression: '#expiresAt > :nowSeconds',
          ExpressionAttributeNames: { '#topic': 'topic', '#seq': 'seq', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: {
            ':topic': topic,
            ':afterSeq': Math.max(afterSeq, COUNTER_SEQ),
            ':nowSeconds': nowSeconds,
          },
          ConsistentRead: true,
          Limit: limit - kept,
        }),
        toEvent,
        limit,
      );
    } catch (error) {
      throw fail('read', error);
    }
  }
}
