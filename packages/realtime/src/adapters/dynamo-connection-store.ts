import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConnectionLive } from '../core/connection.ts';
import { ConnectionStoreError } from '../errors.ts';
import type { ConnectionRecord, ConnectionStore } from '../ports.ts';
import { CONNECTIONS_TABLE } from '../tables.ts';
import { awsErrorName, isRetryableAwsError } from './aws-errors.ts';
import { queryAll } from './dynamo-query.ts';

/** Options of {@link DynamoConnectionStore}. */
export interface DynamoConnectionStoreOptions {
  /** A document client (plain JS values in and out), built by `compose/stores.ts` or a test. */
  readonly client: DynamoDBDocumentClient;
  /** Physical name of a table shaped like `CONNECTIONS_TABLE`. */
  readonly tableName: string;
}

const BY_USER = CONNECTIONS_TABLE.globalSecondaryIndexes.find((index) => index.indexName === 'byUser');
if (BY_USER === undefined) throw new Error('CONNECTIONS_TABLE has no byUser index');
const BY_USER_INDEX = BY_USER.indexName;

/**
 * {@link ConnectionStore} on the DynamoDB connections table (`CONNECTIONS_TABLE`): items keyed
 * by `connectionId`, found per user through the `byUser` GSI (never a scan). Expired items are
 * filtered on every read, as TTL deletion is lazy on AWS and absent in dynalite.
 *
 * @example
 * const store = new DynamoConnectionStore({ client: DynamoDBDocumentClient.from(ddb), tableName });
 * await store.listByUser('u-1', Date.now());
 */
export class DynamoConnectionStore implements ConnectionStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoConnectionStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async put(connection: ConnectionRecord): Promise<void> {
    const { connectionId, userId, connectedAt, expiresAt, subscriptions = [] } = connection;
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            connectionId,
            userId,
            connectedAt,
            expiresAt,
            // DynamoDB has no empty sets: no subscriptions, no attribute.
            ...(subscriptions.length > 0 && { subs: new Set(subscriptions) }),
          },
        }),
      );
    } catch (error) {
      throw storeError('put', error, connectionId);
    }
  }

  async delete(connectionId: string): Promise<void> {
    try {
      // DeleteItem on an absent key succeeds, which makes $disconnect and 410 cleanup idempotent.
      await this.#client.send(new DeleteCommand({ TableName: this.#tableName, Key: { connectionId } }));
    } catch (error) {
      throw storeError('delete', error, connectionId);
    }
  }

  async listByUser(userId: string, now: number): Promise<ConnectionRecord[]> {
    try {
      return await queryAll(
        this.#client,
        () => ({
          TableName: this.#tableName,
          IndexName: BY_USER_INDEX,
          KeyConditionExpression: '#userId = :userId',
          // Saves reading expired items back; the same rule is re-applied below from core.
          FilterExpression: '#expiresAt > :nowSeconds',
          ExpressionAttributeNames: { '#userId': 'userId', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':userId': userId, ':nowSeconds': Math.floor(now / 1000) },
        }),
        (item) => {
          const connection = toConnection(item);
          return connection !== undefined && isConnectionLive(connection, now) ? connection : undefined;
        },
      );
    } catch (error) {
      throw storeError('listByUser', error);
    }
  }
}

function toConnection(item: Record<string, unknown>): ConnectionRecord | undefined {
  const { connectionId, userId, connectedAt, expiresAt, subs } = item;
  if (typeof connectionId !== 'string' || typeof userId !== 'string') return undefined;
  if (typeof connectedAt !== 'number' || typeof expiresAt !== 'number') return undefined;
  // `subs` is a string set (the document client reads it as a Set); absent when empty.
  const subscriptions = subs instanceof Set ? [...subs].filter((s) => typeof s === 'string').sort() : [];
  return subscriptions.length === 0
    ? { connectionId, userId, connectedAt, expiresAt }
    : { connectionId, userId, connectedAt, expiresAt, subscriptions };
}

function storeError(operation: string, error: unknown, connectionId?: string): ConnectionStoreError {
  const name = awsErrorName(error);
  return new ConnectionStoreError(`connections table ${operation} failed (${name})`, {
    cause: error,
    retryable: isRetryableAwsError(error),
    ...(connectionId === undefined ? {} : { connectionId }),
  });
}
