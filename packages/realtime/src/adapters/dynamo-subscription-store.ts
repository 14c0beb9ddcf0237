import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreError } from '../errors.ts';
import type { AddSubscriptionResult, SubscriptionStore } from '../ports.ts';
import { isConditionalCheckFailed } from './aws-errors.ts';
import { dynamoStoreError } from './dynamo-query.ts';

/** Options of {@link DynamoSubscriptionStore}. */
export interface DynamoSubscriptionStoreOptions {
  readonly client: DynamoDBDocumentClient;
  /** Physical name of the connections table (`CONNECTIONS_TABLE`): subscriptions live on its items. */
  readonly tableName: string;
}

/**
 * {@link SubscriptionStore} on the connections table: a string set `subs` on the connection's
 * item, so the publisher reads subscriptions with the connections it already queries (no second
 * read per event). Every update is conditional on the item existing AND belonging to the caller,
 * so a client can only ever change its own connection. The cap is part of the same condition.
 *
 * @example
 * await new DynamoSubscriptionStore({ client, tableName }).add(connectionId, userId, 'topic:files', 20);
 */
export class DynamoSubscriptionStore implements SubscriptionStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoSubscriptionStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async add(
    connectionId: string,
    userId: string,
    subscription: string,
    max: number,
  ): Promise<AddSubscriptionResult> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { connectionId },
          UpdateExpression: 'ADD #subs :sub',
          ConditionExpression:
            'attribute_exists(#connectionId) AND #userId = :userId AND ' +
            '(attribute_not_exists(#subs) OR contains(#subs, :one) OR size(#subs) < :max)',
          ExpressionAttributeNames: { '#subs': 'subs', '#connectionId': 'connectionId', '#userId': 'userId' },
          ExpressionAttributeValues: {
            ':sub': new Set([subscription]),
            ':one': subscription,
            ':userId': userId,
            ':max': max,
          },
        }),
      );
      return 'added';
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw storeError('add', error);
    }
    // Refused: say why. A consistent read of the item tells a full set from a foreign or gone item.
    try {
      const { Item } = await this.#client.send(
        new GetCommand({ TableName: this.#tableName, Key: { connectionId }, ConsistentRead: true }),
      );
      return Item !== undefined && Item.userId === userId ? 'limit-reached' : 'unknown-connection';
    } catch (error) {
      throw storeError('add', error);
    }
  }

  async remove(connectionId: string, userId: string, subscription: string): Promise<void> {
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { connectionId },
          // Deleting the last element removes the attribute: DynamoDB has no empty sets.
          UpdateExpression: 'DELETE #subs :sub',
          ConditionExpression: 'attribute_exists(#connectionId) AND #userId = :userId',
          ExpressionAttributeNames: { '#subs': 'subs', '#connectionId': 'connectionId', '#userId': 'userId' },
          ExpressionAttributeValues: { ':sub': new Set([subscription]), ':userId': userId },
        }),
      );
    } catch (error) {
      // Not the caller's connection (or gone): nothing of theirs to remove.
      if (isConditionalCheckFailed(error)) return;
      throw storeError('remove', error);
    }
  }
}

function storeError(operation: string, error: unknown): StoreError {
  return dynamoStoreError('subscriptions', 'subscriptions', operation, error);
}
