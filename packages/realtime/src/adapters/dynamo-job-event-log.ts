import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type JobEvent, JobEventSchema } from '@herald/protocol';
import type { StoreError } from '../errors.ts';
import type { JobEventLog, JobLogHead, LoggedJobEvent } from '../ports.ts';
import { isConditionalCheckFailed } from './aws-errors.ts';
import { dynamoStoreError, queryAll } from './dynamo-query.ts';

/** Options of {@link DynamoJobEventLog}. */
export interface DynamoJobEventLogOptions {
  readonly client: DynamoDBDocumentClient;
  /** Physical name of a table shaped like `JOB_EVENTS_TABLE`. */
  readonly tableName: string;
}

/**
 * {@link JobEventLog} on the job events table (`JOB_EVENTS_TABLE`, ADR 003): one item per event,
 * key (`jobId`, `seq`), holding the owner (`userId`), the event as JSON and `expiresAt` (TTL).
 * Reads are strongly consistent (a `resume` right after a publish sees it) and filter expired
 * items, as TTL deletion is lazy on AWS and absent in dynalite.
 *
 * @example
 * const log = new DynamoJobEventLog({ client, tableName });
 * await log.append(userId, event, expiresAt);
 * const missed = await log.readAfter(jobId, 4, Date.now(), 1000);
 */
export class DynamoJobEventLog implements JobEventLog {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoJobEventLogOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async append(userId: string, event: JobEvent, expiresAt: number): Promise<'appended' | 'duplicate'> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            jobId: event.jobId,
            seq: event.seq,
            userId,
            type: event.type,
            event: JSON.stringify(event),
            expiresAt,
          },
          // A producer that retries republishes the same seq: the first write stands.
          ConditionExpression: 'attribute_not_exists(#seq)',
          ExpressionAttributeNames: { '#seq': 'seq' },
        }),
      );
      return 'appended';
    } catch (error) {
      if (isConditionalCheckFailed(error)) return 'duplicate';
      throw storeError('append', error);
    }
  }

  async head(jobId: string, now: number): Promise<JobLogHead | undefined> {
    try {
      // The newest item expires last, so if it is expired the whole log is.
      const { Items } = await this.#client.send(
        new QueryCommand({
          TableName: this.#tableName,
          KeyConditionExpression: '#jobId = :jobId',
          FilterExpression: '#expiresAt > :nowSeconds',
          ProjectionExpression: '#userId, #seq, #expiresAt',
          ExpressionAttributeNames: {
            '#jobId': 'jobId',
            '#userId': 'userId',
            '#seq': 'seq',
            '#expiresAt': 'expiresAt',
          },
          ExpressionAttributeValues: { ':jobId': jobId, ':nowSeconds': Math.floor(now / 1000) },
          ScanIndexForward: false,
          Limit: 1,
          ConsistentRead: true,
        }),
      );
      const item = Items?.[0];
      if (item === undefined || typeof item.userId !== 'string' || typeof item.seq !== 'number')
        return undefined;
      return { userId: item.userId, lastSeq: item.seq };
    } catch (error) {
      throw storeError('head', error);
    }
  }

  async readAfter(jobId: string, afterSeq: number, now: number, limit: number): Promise<LoggedJobEvent[]> {
    try {
      return await queryAll(
        this.#client,
        (kept) => ({
          TableName: this.#tableName,
          KeyConditionExpression: '#jobId = :jobId AND #seq > :afterSeq',
          FilterExpression: '#expiresAt > :nowSeconds',
          ExpressionAttributeNames: { '#jobId': 'jobId', '#seq': 'seq', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: {
            ':jobId': jobId,
            ':afterSeq': afterSeq,
            ':nowSeconds': Math.floor(now / 1000),
          },
          ConsistentRead: true,
          Limit: limit - kept,
        }),
        (item) => {
          const logged = toLogged(item);
          return logged !== undefined && typeof item.expiresAt === 'number' && item.expiresAt * 1000 > now
            ? logged
            : undefined;
        },
        limit,
      );
    } catch (error) {
      throw storeError('readAfter', error);
    }
  }
}

function toLogged(item: Record<string, unknown>): LoggedJobEvent | undefined {
  if (typeof item.userId !== 'string' || typeof item.event !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(item.event);
  } catch {
    return undefined;
  }
  // Validated on the way out too: what is replayed must satisfy today's protocol.
  const result = JobEventSchema.safeParse(parsed);
  return result.success ? { userId: item.userId, event: result.data } : undefined;
}

function storeError(operation: string, error: unknown): StoreError {
  return dynamoStoreError('jobEvents', 'job event log', operation, error);
}
