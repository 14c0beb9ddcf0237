import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreError } from '../errors.ts';
import type { TicketRecord, TicketStore } from '../ports.ts';
import { isConditionalCheckFailed } from './aws-errors.ts';
import { dynamoStoreError } from './dynamo-query.ts';

/** Options of {@link DynamoTicketStore}. */
export interface DynamoTicketStoreOptions {
  readonly client: DynamoDBDocumentClient;
  /** Physical name of a table shaped like `TICKETS_TABLE`. */
  readonly tableName: string;
}

/**
 * {@link TicketStore} on the tickets table (`TICKETS_TABLE`), keyed by the ticket's hash.
 * `take` is ONE conditional `DeleteItem` returning the old item: DynamoDB applies it atomically,
 * so of two connections racing with the same ticket exactly one gets the identity.
 *
 * @example
 * const store = new DynamoTicketStore({ client, tableName });
 * const record = await store.take(hashTicket(ticket)); // undefined the second time
 */
export class DynamoTicketStore implements TicketStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoTicketStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async put(ticket: TicketRecord): Promise<void> {
    const { ticketHash, userId, username, groups, expiresAt } = ticket;
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ticketHash, userId, username, groups: [...groups], expiresAt },
          // 256 random bits do not collide; if they ever did, never hand out someone else's ticket.
          ConditionExpression: 'attribute_not_exists(ticketHash)',
        }),
      );
    } catch (error) {
      throw storeError('put', error);
    }
  }

  async take(ticketHash: string): Promise<TicketRecord | undefined> {
    let item: Record<string, unknown> | undefined;
    try {
      const result = await this.#client.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: { ticketHash },
          ConditionExpression: 'attribute_exists(ticketHash)',
          ReturnValues: 'ALL_OLD',
        }),
      );
      item = result.Attributes;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw storeError('take', error);
    }
    return item === undefined ? undefined : toTicket(item);
  }
}

function toTicket(item: Record<string, unknown>): TicketRecord | undefined {
  const { ticketHash, userId, username, groups, expiresAt } = item;
  if (typeof ticketHash !== 'string' || typeof userId !== 'string' || typeof username !== 'string') {
    return undefined;
  }
  if (typeof expiresAt !== 'number' || !Array.isArray(groups)) return undefined;
  return {
    ticketHash,
    userId,
    username,
    groups: groups.filter((g): g is string => typeof g === 'string'),
    expiresAt,
  };
}

function storeError(operation: string, error: unknown): StoreError {
  return dynamoStoreError('tickets', 'tickets', operation, error);
}
