import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { connectWindow } from '../core/connect-limit.ts';
import type { ConnectLimiter } from '../ports.ts';
import { isConditionalCheckFailed } from './aws-errors.ts';
import { dynamoStoreError } from './dynamo-query.ts';

/** Options of {@link DynamoConnectLimiter}. */
export interface DynamoConnectLimiterOptions {
  readonly client: DynamoDBDocumentClient;
  /** Physical name of a table shaped like `CONNECT_ATTEMPTS_TABLE`. */
  readonly tableName: string;
  /** Attempts allowed per client IP and minute. */
  readonly perMinute: number;
}

/**
 * {@link ConnectLimiter} on the connect attempts table: ONE conditional `UpdateItem` per
 * attempt that adds 1 to the address's counter for the current minute unless it already
 * reached the allowance. DynamoDB applies it atomically, so concurrent attempts cannot both
 * take the last place.
 *
 * @example
 * const limiter = new DynamoConnectLimiter({ client, tableName, perMinute: 120 });
 * if (!(await limiter.admit(sourceIp, Date.now()))) refuse();
 */
export class DynamoConnectLimiter implements ConnectLimiter {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #perMinute: number;

  constructor(options: DynamoConnectLimiterOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#perMinute = options.perMinute;
  }

  async admit(sourceIp: string, nowMs: number): Promise<boolean> {
    const { key, expiresAt } = connectWindow(sourceIp, nowMs);
    try {
      await this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { window: key },
          UpdateExpression: 'ADD attempts :one SET expiresAt = :expiresAt',
          ConditionExpression: 'attribute_not_exists(attempts) OR attempts < :limit',
          ExpressionAttributeValues: { ':one': 1, ':expiresAt': expiresAt, ':limit': this.#perMinute },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw dynamoStoreError('connectAttempts', 'connect attempts', 'admit', error);
    }
  }
}
