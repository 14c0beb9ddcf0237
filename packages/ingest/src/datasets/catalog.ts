import type { DatasetCatalog } from '../ports.ts';
import type { DatasetDefinition } from './types.ts';

/**
 * A catalog over datasets held in memory (tests, tools that read `herald.datasets.json`). The
 * functions read theirs from the database (`PgDatasetCatalog`).
 *
 * @example
 * const catalog = staticDatasetCatalog(readDatasetsFile('herald.datasets.json'));
 * await catalog.find('transactions');
 */
export function staticDatasetCatalog(datasets: readonly DatasetDefinition[]): DatasetCatalog {
  // A Map, not an object: a client-supplied name such as `__proto__` or `constructor` must not
  // resolve to anything.
  const byName = new Map(datasets.map((d) => [d.name, d]));
  const sorted = [...datasets].sort((a, b) => a.name.localeCompare(b.name));
  return {
    find: async (name) => byName.get(name),
    list: async () => sorted,
  };
}

/**
 * Whether a caller in `groups` may upload to the dataset: one of its `uploadGroups`, or `*`
 * (every signed-in user). Deny by default.
 *
 * @example
 * mayUpload(dataset, ['analysts']); // true when dataset.uploadGroups includes 'analysts' or '*'
 */
export function mayUpload(dataset: DatasetDefinition, groups: readonly string[]): boolean {
  return dataset.uploadGroups.some((group) => group === '*' || groups.includes(group));
}
