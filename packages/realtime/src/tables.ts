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

/**
 * One-time `$connect` tickets, keyed by the SHA-256 of the ticket (the ticket itself is never
 * stored). Redeemed by a conditional delete, so each ticket admits at most one connection.
 */
export const TICKETS_TABLE: TableDefinition = {
  id: 'Tickets',
  baseName: 'tickets',
  partitionKey: { name: 'ticketHash', type: 'S' },
  globalSecondaryIndexes: [],
  ttlAttribute: 'expiresAt',
};

/**
 * Push devices: one item per (user, FCM token). Read per user on the base table (strongly
 * consistent, for the cap); `byToken` finds other users holding the same token, so a device
 * that changes hands stops receiving the previous user's pushes.
 */
export const DEVICES_TABLE: TableDefinition = {
  id: 'Devices',
  baseName: 'devices',
  partitionKey: { name: 'userId', type: 'S' },
  sortKey: { name: 'token', type: 'S' },
  globalSecondaryIndexes: [{ indexName: 'byToken', partitionKey: { name: 'token', type: 'S' } }],
  ttlAttribute: 'expiresAt',
};

/**
 * The job event log: every published job event, keyed by job and `seq`, kept for a day (TTL) so
 * `resume` can replay what a client missed. Each item records the job's owner. ADR 003.
 */
export const JOB_EVENTS_TABLE: TableDefinition = {
  id: 'JobEvents',
  baseName: 'job-events',
  partitionKey: { name: 'jobId', type: 'S' },
  sortKey: { name: 'seq', type: 'N' },
  globalSecondaryIndexes: [],
  ttlAttribute: 'expiresAt',
};

/**
 * `$connect` attempts per client IP and minute (`<sourceIp>#<minute>`), counted by the authorizer
 * to refuse a flood from one address before it verifies anything (ADR 004). Items live two
 * minutes (TTL); the window in the key, not TTL, decides what counts.
 */
export const CONNECT_ATTEMPTS_TABLE: TableDefinition = {
  id: 'ConnectAttempts',
  baseName: 'connect-attempts',
  partitionKey: { name: 'window', type: 'S' },
  globalSecondaryIndexes: [],
  ttlAttribute: 'expiresAt',
};

/**
 * Topic grants: one item per (shared topic, group), read per topic when a connection subscribes.
 * Shipped defaults are code, not items (`core/topic-grants.ts`).
 */
export const TOPIC_GRANTS_TABLE: TableDefinition = {
  id: 'TopicGrants',
  baseName: 'topic-grants',
  partitionKey: { name: 'topic', type: 'S' },
  sortKey: { name: 'group', type: 'S' },
  globalSecondaryIndexes: [],
};

/**
 * Topic subscriptions: one item per (shared topic, connection). The fan-out Queries a topic's
 * partition (never a Scan); `byConnection` finds a connection's topics when it disconnects or
 * turns out gone. Items expire with their connection (TTL).
 */
export const TOPIC_SUBSCRIPTIONS_TABLE: TableDefinition = {
  id: 'TopicSubscriptions',
  baseName: 'topic-subscriptions',
  partitionKey: { name: 'topic', type: 'S' },
  sortKey: { name: 'connectionId', type: 'S' },
  globalSecondaryIndexes: [
    {
      indexName: 'byConnection',
      partitionKey: { name: 'connectionId', type: 'S' },
      sortKey: { name: 'topic', type: 'S' },
    },
  ],
  ttlAttribute: 'expiresAt',
};

/**
 * The topic event log: a topic's events by `seq`, kept briefly (TTL, an hour by default) for
 * `resume`, and its `seq` counter: the item at `seq` -1, incremented atomically (UpdateItem ADD)
 * and never expiring, so a topic's `seq` is never handed out twice. Replays read `seq > afterSeq`
 * with `afterSeq` ≥ -1, so they never see the counter.
 */
export const TOPIC_EVENTS_TABLE: TableDefinition = {
  id: 'TopicEvents',
  baseName: 'topic-events',
  partitionKey: { name: 'topic', type: 'S' },
  sortKey: { name: 'seq', type: 'N' },
  globalSecondaryIndexes: [],
  ttlAttribute: 'expiresAt',
};

export const TABLES: readonly TableDefinition[] = [
  CONNECTIONS_TABLE,
  TICKETS_TABLE,
  DEVICES_TABLE,
  JOB_EVENTS_TABLE,
  CONNECT_ATTEMPTS_TABLE,
  TOPIC_GRANTS_TABLE,
  TOPIC_SUBSCRIPTIONS_TABLE,
  TOPIC_EVENTS_TABLE,
];

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
