import { type KeyAttribute, type TableDefinition, tableName } from '@herald/realtime/tables';
import type { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export interface TablesProps {
  /** The table definitions the local stack also uses (`TABLES` from `@herald/realtime/tables`). */
  readonly definitions: readonly TableDefinition[];
  /** Physical names are `<prefix><baseName>`, as `tableName()` builds them. */
  readonly prefix: string;
  readonly removalPolicy: RemovalPolicy;
  /** @default false */
  readonly deletionProtection?: boolean;
}

const key = (k: KeyAttribute) => ({
  name: k.name,
  type: k.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER,
});

/**
 * The environment variable a table's physical name travels in, `HERALD_<ID>_TABLE` from its
 * logical id (`JobEvents` → `HERALD_JOB_EVENTS_TABLE`), as the local stack names it.
 */
export function tableEnvVar(def: TableDefinition): string {
  return `HERALD_${def.id.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}_TABLE`;
}

/**
 * The DynamoDB tables, built from the SAME definitions the local stack creates in dynalite:
 * on-demand, point-in-time recovery, TTL on the definition's attribute, GSIs projecting all
 * attributes (readers filter on `expiresAt`, so it must be projected).
 */
export class Tables extends Construct {
  private readonly byId = new Map<string, { table: Table; def: TableDefinition }>();

  constructor(scope: Construct, id: string, props: TablesProps) {
    super(scope, id);
    for (const def of props.definitions) {
      const table = new Table(this, def.id, {
        tableName: tableName(def, props.prefix),
        partitionKey: key(def.partitionKey),
        ...(def.sortKey && { sortKey: key(def.sortKey) }),
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        ...(def.ttlAttribute && { timeToLiveAttribute: def.ttlAttribute }),
        removalPolicy: props.removalPolicy,
        deletionProtection: props.deletionProtection ?? false,
      });
      for (const gsi of def.globalSecondaryIndexes) {
        table.addGlobalSecondaryIndex({
          indexName: gsi.indexName,
          partitionKey: key(gsi.partitionKey),
          ...(gsi.sortKey && { sortKey: key(gsi.sortKey) }),
          projectionType: ProjectionType.ALL,
        });
      }
      this.byId.set(def.id, { table, def });
    }
  }

  /** The table of a definition id; throws naming the known ids. */
  table(id: string): Table {
    const entry = this.byId.get(id);
    if (!entry) throw new Error(`no table "${id}" in TABLES (known: ${[...this.byId.keys()].join(', ')})`);
    return entry.table;
  }

  /** `{ HERALD_CONNECTIONS_TABLE: <name>, … }` for every table. */
  environment(): Record<string, string> {
    return Object.fromEntries(
      [...this.byId.values()].map(({ table, def }) => [tableEnvVar(def), table.tableName]),
    );
  }

  /** Every table with its definition. */
  all(): { table: Table; def: TableDefinition }[] {
    return [...this.byId.values()];
  }
}
