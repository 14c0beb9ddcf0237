import type { DatasetDefinition } from './types.ts';

/**
 * The current price list, replaced as a whole by each upload: readers see the previous list
 * until the load commits, then only the new one.
 */
export const PRICE_LIST: DatasetDefinition = {
  name: 'price_list',
  table: 'price_list',
  mode: 'replace',
  key: ['sku'],
  columns: [
    { name: 'sku', type: { kind: 'text', maxLength: 64 }, required: true },
    { name: 'price', type: { kind: 'numeric', precision: 12, scale: 2 }, required: true },
    { name: 'currency', type: { kind: 'text', maxLength: 3 }, required: true },
    { name: 'valid_from', type: { kind: 'date' }, required: false },
  ],
  maxRejects: 0,
  // A price list is small; a 256 MiB upload is a mistake, not a catalogue.
  maxFileBytes: 256 * 1024 ** 2,
};
