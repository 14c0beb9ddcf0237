import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

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

/** The CreateTable input for a definition: on-demand, GSIs projecting all attributes. */
export function createTableInput(def: TableDefinition, name: string): CreateTableCommandInput {
  const attrs = new Map<string, string>();
  const keys = [
    def.partitionKey,
    def.sortKey,
    ...def.globalSecondaryIndexes.flatMap((g) => [g.partitionKey, g.sortKey]),
  ];
  for (const key of keys) if (key) attrs.set(key.name, key.type);
  const keySchema = (pk: { name: string }, sk?: { name: string }) => [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attrs].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType: AttributeType as 'S' | 'N',
    })),
    KeySchema: keySchema(def.partitionKey, def.sortKey),
    ...(def.globalSecondaryIndexes.length > 0 && {
      GlobalSecondaryIndexes: def.globalSecondaryIndexes.map((g) => ({
        IndexName: g.indexName,
        KeySchema: keySchema(g.partitionKey, g.sortKey),
        Projection: { ProjectionType: 'ALL' as const },
      })),
    }),
  };
}
