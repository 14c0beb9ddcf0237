import { CUSTOMERS } from './customers.ts';
import { PRICE_LIST } from './price-list.ts';
import { TRANSACTIONS } from './transactions.ts';
import type { DatasetDefinition } from './types.ts';

export { CUSTOMERS } from './customers.ts';
export type { DomainDefinition } from './ddl.ts';
export {
  columnSqlType,
  datasetDomains,
  datasetProblems,
  datasetSchemaSql,
  datasetTableSql,
  JOB_ID_COLUMN,
  JOB_ID_SETTING,
} from './ddl.ts';
export { PRICE_LIST } from './price-list.ts';
export { TRANSACTIONS } from './transactions.ts';
export type { ColumnDefinition, ColumnType, DatasetDefinition, LoadMode } from './types.ts';

/** Every dataset clients may upload to. Migration 003 creates their tables. */
export const DATASETS: readonly DatasetDefinition[] = Object.freeze([CUSTOMERS, TRANSACTIONS, PRICE_LIST]);

// A Map, not an object: a client-supplied name such as `__proto__` or `constructor` must not
// resolve to anything.
const BY_NAME = new Map(DATASETS.map((d) => [d.name, d]));

/**
 * The dataset with exactly this public name (case-sensitive), or `undefined`.
 *
 * @example
 * findDataset('transactions')?.mode; // 'append'
 * findDataset('Transactions'); // undefined
 */
export function findDataset(name: string): DatasetDefinition | undefined {
  return BY_NAME.get(name);
}
