import type { DatasetDefinition } from './types.ts';

/** Payment transactions, appended: every upload adds its rows. */
export const TRANSACTIONS: DatasetDefinition = {
  name: 'transactions',
  table: 'transactions',
  mode: 'append',
  key: [],
  columns: [
    { name: 'transaction_id', type: { kind: 'uuid' }, required: true },
    { name: 'customer_external_id', type: { kind: 'uuid' }, required: true },
    { name: 'amount', type: { kind: 'numeric', precision: 12, scale: 2 }, required: true },
    { name: 'currency', type: { kind: 'text', maxLength: 3 }, required: true },
    { name: 'occurred_at', type: { kind: 'timestamptz' }, required: true },
    { name: 'note', type: { kind: 'text', maxLength: 500 }, required: false },
  ],
  maxRejects: 0,
  maxFileBytes: 2 * 1024 ** 3,
};
