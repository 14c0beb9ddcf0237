import type { DatasetDefinition } from './types.ts';

/** Customers, upserted on `external_id`: a re-upload updates the customers it names. */
export const CUSTOMERS: DatasetDefinition = {
  name: 'customers',
  table: 'customers',
  mode: 'upsert',
  key: ['external_id'],
  columns: [
    { name: 'external_id', type: { kind: 'uuid' }, required: true },
    { name: 'name', type: { kind: 'text', maxLength: 200 }, required: true },
    // 320: the longest address RFC 3696 allows (64 local part + @ + 255 domain).
    { name: 'email', type: { kind: 'text', maxLength: 320 }, required: false },
    { name: 'credit_limit', type: { kind: 'numeric', precision: 12, scale: 2 }, required: false },
    { name: 'orders_count', type: { kind: 'integer' }, required: false },
    { name: 'active', type: { kind: 'boolean' }, required: false },
    { name: 'signed_up_at', type: { kind: 'timestamptz' }, required: false },
    { name: 'birth_date', type: { kind: 'date' }, required: false },
  ],
  maxRejects: 0,
  maxFileBytes: 2 * 1024 ** 3,
};
