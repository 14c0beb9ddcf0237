import type pg from 'pg';
import { datasetFromRecord, isDatasetName } from '../datasets/declaration.ts';
import type { DatasetDefinition } from '../datasets/types.ts';
import { DatasetDeclarationError } from '../errors.ts';
import type { DatasetCatalog } from '../ports.ts';
import { toDatabaseError } from './pg-errors.ts';

export interface PgDatasetCatalogOptions {
  /** The container's pool (RDS Proxy for the API handlers, the instance for the worker). */
  readonly pool: pg.Pool;
}

/**
 * The declared datasets as the dataset migrations recorded them in `ingest_datasets` (one row
 * per dataset, written in the same transaction as the DDL that makes its table match). Read per
 * call, one indexed row: a migration is visible to the next upload without a redeploy.
 *
 * @example
 * const catalog = new PgDatasetCatalog({ pool });
 * const dataset = await catalog.find('transactions');
 */
export class PgDatasetCatalog implements DatasetCatalog {
  readonly #pool: pg.Pool;

  constructor(options: PgDatasetCatalogOptions) {
    this.#pool = options.pool;
  }

  async find(name: string): Promise<DatasetDefinition | undefined> {
    // No declaration has another name, and PostgreSQL refuses some strings outright (a NUL byte
    // in a text parameter is an encoding error): those are unknown datasets, not faults.
    if (!isDatasetName(name)) return undefined;
    const rows = await this.#read('SELECT name, declaration FROM ingest_datasets WHERE name = $1', [name]);
    return rows[0];
  }

  async list(): Promise<readonly DatasetDefinition[]> {
    return this.#read('SELECT name, declaration FROM ingest_datasets ORDER BY name', []);
  }

  async #read(text: string, values: unknown[]): Promise<DatasetDefinition[]> {
    let rows: { name: string; declaration: unknown }[];
    try {
      ({ rows } = await this.#pool.query<{ name: string; declaration: unknown }>(text, values));
    } catch (error) {
      throw toDatabaseError(error, 'reading the dataset declarations');
    }
    return rows.map((row) => {
      const dataset = datasetFromRecord(row.declaration);
      // Migrations write only checked declarations; a row edited by hand is a fault, not a refusal.
      if (dataset === undefined)
        throw new DatasetDeclarationError('ingest_datasets', [
          `the row of dataset "${row.name}" is not sound`,
        ]);
      return dataset;
    });
  }
}
