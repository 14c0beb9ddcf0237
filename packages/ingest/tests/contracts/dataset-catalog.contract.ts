import { describe, expect, it } from 'vitest';
import type { DatasetDefinition } from '../../src/datasets/types.ts';
import type { DatasetCatalog } from '../../src/ports.ts';

/** Two declarations every catalog under contract holds. */
export const CONTRACT_DATASETS: readonly DatasetDefinition[] = [
  {
    name: 'orders',
    table: 'orders',
    mode: 'upsert',
    key: ['order_id'],
    columns: [
      { name: 'order_id', type: { kind: 'uuid' }, required: true, aliases: ['Order ID'] },
      { name: 'total', type: { kind: 'numeric', precision: 10, scale: 2 }, required: false },
    ],
    maxRejects: 3,
    maxFileBytes: 1024,
    uploadGroups: ['sales', '*'],
  },
  {
    name: 'events',
    table: 'event_log',
    mode: 'append',
    key: [],
    columns: [{ name: 'note', type: { kind: 'text', maxLength: 20 }, required: false }],
    maxRejects: 0,
    maxFileBytes: 2048,
    uploadGroups: [],
  },
];

/**
 * The `DatasetCatalog` contract: the fake (unit) and PostgreSQL (integration) must agree. The
 * catalog under test holds exactly {@link CONTRACT_DATASETS}.
 */
export function describeDatasetCatalogContract(name: string, setup: () => Promise<DatasetCatalog>): void {
  describe(`DatasetCatalog contract: ${name}`, () => {
    it('finds a dataset by its exact name, with every field of its declaration', async () => {
      const catalog = await setup();
      expect(await catalog.find('orders')).toEqual(CONTRACT_DATASETS[0]);
      expect(await catalog.find('events')).toEqual(CONTRACT_DATASETS[1]);
    });

    it('finds nothing for another name, another case, or an object key', async () => {
      const catalog = await setup();
      for (const other of ['Orders', ' orders', 'order', 'event_log', '__proto__', 'constructor', ''])
        expect(await catalog.find(other), other).toBeUndefined();
    });

    it('finds nothing, without failing, for a name PostgreSQL could not even compare', async () => {
      const catalog = await setup();
      for (const hostile of ['orders\u0000', '\u0000', 'orders\uD800', 'x'.repeat(100_000)])
        expect(await catalog.find(hostile), JSON.stringify(hostile.slice(0, 20))).toBeUndefined();
    });

    it('lists every dataset, by name', async () => {
      const catalog = await setup();
      expect((await catalog.list()).map((d) => d.name)).toEqual(['events', 'orders']);
    });
  });
}
