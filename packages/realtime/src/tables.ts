/**
 * DynamoDB table definitions, as data. `infra` builds the tables from these and the local
 * stack creates them in dynalite from the SAME objects, so names, keys and GSIs cannot drift.
 */

export type KeyType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyType;
}

export interface GlobalSecondaryIndex {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

export interface TableDefinition {
  /** Logical id: CDK construct id and the key of the table-name config. Never rename casually. */
  readonly id: string;
  /** Base table name; deployments and tests add a prefix (`<prefix><baseName>`). */
  readonly baseName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalSecondaryIndexes: readonly GlobalSecondaryIndex[];
  /**
   * Epoch-seconds attribute AWS uses for TTL deletion. AWS deletes lazily (up to days late)
   * and dynalite not at all, so every read also filters on it.
   */
  readonly ttlAttribute?: string;
}

/** Open WebSocket connections: one item per connection, found per user through the GSI. */
export const CONNECTIONS_TABLE: TableDefinition = {
  id: 'Connections',
  baseName: 'connections',
  partitionKey: { name: 'connectionId', type: 'S' },
  globalSecondaryIndexes: [
    {
      indexName: 'byUser',
      partitionKey: { name: 'userId', type: 'S' },
      sortKey: { name: 'connectedAt', type: 'N' },
    },
  ],
  ttlAttribute: 'expiresAt',
};

export const TABLES: readonly TableDefinition[] = [CONNECTIONS_TABLE];

/** The physical name of a table under a deployment or test prefix. */
export function tableName(def: TableDefinition, prefix: string): string {
  return `${prefix}${def.baseName}`;
}
