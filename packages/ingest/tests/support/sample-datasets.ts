import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DATASETS_FILE,
  type DatasetDefinition,
  datasetMigrationSource,
  readDatasetsFile,
} from '../../src/datasets/index.ts';
import { MIGRATIONS } from '../../src/migrations.ts';

/**
 * The sample datasets Herald ships (`herald.datasets.json` at the repository root): the ones
 * this package's tests load. The declaration file is the one description of them.
 */

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
export const SAMPLE_DATASETS_FILE = join(REPO_ROOT, DATASETS_FILE);
export const SAMPLE_DATASETS: readonly DatasetDefinition[] = readDatasetsFile(SAMPLE_DATASETS_FILE);

/** One sample dataset by name (throws for another name). */
export function sampleDataset(name: string): DatasetDefinition {
  const found = SAMPLE_DATASETS.find((d) => d.name === name);
  if (found === undefined) throw new Error(`the sample declaration has no dataset ${name}`);
  return found;
}

export const CUSTOMERS = sampleDataset('customers');
export const TRANSACTIONS = sampleDataset('transactions');
export const PRICE_LIST = sampleDataset('price_list');

/** What a test schema needs for the sample tables: ingest's migrations, then the sample's. */
export const SAMPLE_MIGRATIONS = [MIGRATIONS, datasetMigrationSource(SAMPLE_DATASETS_FILE)];
