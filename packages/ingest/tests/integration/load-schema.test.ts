import { randomUUID } from 'node:crypto';
import { migrate } from '@herald/runtime/migrations';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PgDatasetCatalog } from '../../src/adapters/pg-dataset-catalog.ts';
import { columnSqlType, declarationSql, JOB_ID_COLUMN, JOB_ID_INDEX } from '../../src/datasets/index.ts';
import { CONTRACT_DATASETS, describeDatasetCatalogContract } from '../contracts/dataset-catalog.contract.ts';
import { SAMPLE_DATASETS, SAMPLE_MIGRATIONS } from '../support/sample-datasets.ts';

const DATASETS = SAMPLE_DATASETS;

const { postgres } = inject('stack' as never) as { postgres: { connectionString: string } };
const schema = `t_load_schema_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
let client: pg.Client;

beforeAll(async () => {
  client = new pg.Client({ connectionString: postgres.connectionString });
  await client.connect();
  await migrate(client, { schema, sources: SAMPLE_MIGRATIONS });
  await client.query(`SET search_path TO ${schema}`);
});

afterAll(async () => {
  await client.query(`DROP SCHEMA ${schema} CASCADE`);
  await client.end();
});

interface CatalogColumn {
  name: string;
  type: string;
  not_null: boolean;
  domain_not_null: boolean | null;
  default: string | null;
}

/** The migrated catalogue is the truth the loader relies on; it must say what the declarations say. */
describe('dataset tables after all migrations', () => {
  it.each(DATASETS.map((d) => [d.name, d] as const))('%s matches its declaration', async (_name, dataset) => {
    const { rows } = await client.query<CatalogColumn>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
              CASE WHEN t.typtype = 'd' THEN t.typnotnull END AS domain_not_null,
              pg_get_expr(d.adbin, d.adrelid) AS default
       FROM pg_attribute a
       JOIN pg_class c ON c.oid = a.attrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_type t ON t.oid = a.atttypid
       LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
       WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum`,
      [schema, dataset.table],
    );
    expect(rows.map((r) => r.name)).toEqual([...dataset.columns.map((c) => c.name), JOB_ID_COLUMN]);
    for (const column of dataset.columns) {
      const found = rows.find((r) => r.name === column.name);
      expect(found?.type.replace('character varying', 'varchar'), column.name).toBe(columnSqlType(column));
      expect(found?.not_null, column.name).toBe(column.required);
      // A required column is required by its DOMAIN, so COPY refuses an empty value as a soft,
      // reportable error rather than aborting on the table's NOT NULL.
      if (column.required) expect(found?.domain_not_null, column.name).toBe(true);
    }
    const job = rows.find((r) => r.name === JOB_ID_COLUMN);
    expect(job).toMatchObject({
      type: 'uuid',
      not_null: true,
      default: "(current_setting('herald.job_id'::text))::uuid",
    });

    const indexes = await client.query<{ def: string }>(
      'SELECT indexdef AS def FROM pg_indexes WHERE schemaname = $1 AND tablename = $2',
      [schema, dataset.table],
    );
    const defs = indexes.rows.map((r) => r.def);
    // BRIN minmax-multi (JOB_ID_INDEX): the migrated index is the one the planner generates.
    expect(defs).toContainEqual(
      expect.stringContaining(`${dataset.table}_job_id ON ${schema}.${dataset.table} ${JOB_ID_INDEX}`),
    );
    if (dataset.key.length > 0) {
      expect(
        defs.some((d) => d.startsWith('CREATE UNIQUE INDEX') && d.includes(`(${dataset.key.join(', ')})`)),
      ).toBe(true);
    }
  });

  it('enforces the rules while reading input text, the way COPY reads it, without rounding', async () => {
    // pg_input_is_valid runs a type's input function with soft errors, exactly as
    // COPY ... ON_ERROR ignore does (an explicit cast would truncate a varchar instead).
    const valid = async (text: string, type: string) => {
      const { rows } = await client.query('SELECT pg_input_is_valid($1, $2) AS ok', [text, type]);
      return (rows[0] as { ok: boolean }).ok;
    };
    expect(await valid('12.345', 'ingest_numeric_12_2')).toBe(false);
    expect(await valid('12.340', 'ingest_numeric_12_2')).toBe(true);
    expect(await valid('-9999999999.99', 'ingest_req_numeric_12_2')).toBe(true);
    expect(await valid('10000000000', 'ingest_numeric_12_2')).toBe(false);
    expect(await valid('NaN', 'ingest_numeric_12_2')).toBe(false);
    expect(await valid('Infinity', 'ingest_numeric_12_2')).toBe(false);
    expect(await valid('infinity', 'ingest_date')).toBe(false);
    expect(await valid('-infinity', 'ingest_req_timestamptz')).toBe(false);
    expect(await valid('ABCD', 'ingest_req_text_3')).toBe(false);
    expect(await valid('ABC', 'ingest_req_text_3')).toBe(true);
    expect(await valid('€🎉é', 'ingest_req_text_3')).toBe(true); // characters, not bytes
    // varchar(3) would accept these by cutting the spaces; the rule is "at most 3 characters".
    expect(await valid('ABC ', 'ingest_req_text_3')).toBe(false);
    expect(await valid('    ', 'ingest_req_text_3')).toBe(false);
    expect(await valid(`${'x'.repeat(500)} `, 'ingest_text_500')).toBe(false);
    await expect(client.query('SELECT NULL::ingest_req_uuid')).rejects.toMatchObject({ code: '23502' });
  });

  it('makes writers other than the loader name the job (the _job_id DEFAULT needs the setting)', async () => {
    await expect(
      client.query("INSERT INTO price_list (sku, price, currency) VALUES ('A', 1, 'EUR')"),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^(22P02|42704)$/) });
  });
});

describe('the recorded declarations (ingest_datasets)', () => {
  it('hold exactly the sample declarations after the sample migrations', async () => {
    const pool = new pg.Pool({
      connectionString: postgres.connectionString,
      options: `-c search_path=${schema}`,
    });
    try {
      expect(await new PgDatasetCatalog({ pool }).list()).toEqual(
        [...DATASETS].sort((a, b) => a.name.localeCompare(b.name)),
      );
    } finally {
      await pool.end();
    }
  });
});

const contractSchema = `t_catalog_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
let contractPool: pg.Pool | undefined;

describeDatasetCatalogContract('PgDatasetCatalog on PostgreSQL', async () => {
  if (contractPool === undefined) {
    await migrate(client, { schema: contractSchema, sources: SAMPLE_MIGRATIONS.slice(0, 1) });
    await client.query('BEGIN');
    await client.query(`SET LOCAL search_path TO ${contractSchema}`);
    for (const dataset of CONTRACT_DATASETS) await client.query(declarationSql(dataset));
    await client.query('COMMIT');
    contractPool = new pg.Pool({
      connectionString: postgres.connectionString,
      options: `-c search_path=${contractSchema}`,
    });
  }
  return new PgDatasetCatalog({ pool: contractPool });
});

afterAll(async () => {
  await contractPool?.end();
  await client.query(`DROP SCHEMA IF EXISTS ${contractSchema} CASCADE`);
});
