import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appliedDatasets,
  checkDeclaredDatasets,
  columnSqlType,
  type DatasetDefinition,
  datasetMigrationsDir,
  datasetProblems,
  datasetSchemaSql,
} from '../../src/datasets/index.ts';
import {
  CUSTOMERS,
  PRICE_LIST,
  SAMPLE_DATASETS,
  SAMPLE_DATASETS_FILE,
  TRANSACTIONS,
} from '../support/sample-datasets.ts';

const DATASETS = SAMPLE_DATASETS;
const MIGRATIONS_DIR = datasetMigrationsDir(SAMPLE_DATASETS_FILE);

const shape = (d: DatasetDefinition) =>
  d.columns.map((c) => [
    c.name,
    c.type.kind,
    'maxLength' in c.type ? c.type.maxLength : undefined,
    c.required,
  ]);

/** SQL without comments, with runs of white space as one space. */
const normalize = (sql: string) =>
  sql
    .replace(/--[^\n]*/g, '')
    .replace(/\s+/g, ' ')
    .trim();

describe('the sample dataset declarations (herald.datasets.json)', () => {
  it('declare customers exactly as issue 3 specifies', () => {
    expect([CUSTOMERS.name, CUSTOMERS.table, CUSTOMERS.mode, CUSTOMERS.key, CUSTOMERS.maxRejects]).toEqual([
      'customers',
      'customers',
      'upsert',
      ['external_id'],
      0,
    ]);
    expect(shape(CUSTOMERS)).toEqual([
      ['external_id', 'uuid', undefined, true],
      ['name', 'text', 200, true],
      ['email', 'text', 320, false],
      ['credit_limit', 'numeric', undefined, false],
      ['orders_count', 'integer', undefined, false],
      ['active', 'boolean', undefined, false],
      ['signed_up_at', 'timestamptz', undefined, false],
      ['birth_date', 'date', undefined, false],
    ]);
    expect(CUSTOMERS.columns[3]?.type).toEqual({ kind: 'numeric', precision: 12, scale: 2 });
  });

  it('declare transactions exactly as issue 3 specifies', () => {
    expect([TRANSACTIONS.name, TRANSACTIONS.mode, TRANSACTIONS.key, TRANSACTIONS.maxRejects]).toEqual([
      'transactions',
      'append',
      [],
      0,
    ]);
    expect(shape(TRANSACTIONS)).toEqual([
      ['transaction_id', 'uuid', undefined, true],
      ['customer_external_id', 'uuid', undefined, true],
      ['amount', 'numeric', undefined, true],
      ['currency', 'text', 3, true],
      ['occurred_at', 'timestamptz', undefined, true],
      ['note', 'text', 500, false],
    ]);
  });

  it('declare a replace-mode price list', () => {
    expect([PRICE_LIST.name, PRICE_LIST.mode, PRICE_LIST.key]).toEqual(['price_list', 'replace', ['sku']]);
  });

  it('are all sound, with a size limit', () => {
    for (const dataset of DATASETS) {
      expect(datasetProblems(dataset)).toEqual([]);
      expect(dataset.maxFileBytes).toBeGreaterThan(0);
    }
    expect(new Set(DATASETS.map((d) => d.name)).size).toBe(DATASETS.length);
  });

  it('let analysts upload to every sample, admins only to transactions', () => {
    expect(DATASETS.map((d) => [d.name, d.uploadGroups])).toEqual([
      ['customers', ['analysts']],
      ['transactions', ['analysts', 'admins']],
      ['price_list', ['analysts']],
    ]);
  });

  it('are exactly what their committed migrations record (what synth checks)', () => {
    expect(appliedDatasets(MIGRATIONS_DIR)).toEqual(DATASETS);
    expect(checkDeclaredDatasets(SAMPLE_DATASETS_FILE)).toEqual(DATASETS);
  });
});

describe('datasetProblems', () => {
  const base: DatasetDefinition = { ...TRANSACTIONS, name: 'x', table: 'x' };

  it('refuses identifiers that would not be safe in SQL, and unsound keys and limits', () => {
    const bad = (patch: Partial<DatasetDefinition>) => datasetProblems({ ...base, ...patch });
    expect(bad({ table: 'x; DROP TABLE y' })).toHaveLength(1);
    expect(bad({ table: 'order' })).toHaveLength(1);
    expect(bad({ columns: [{ name: 'Amount', type: { kind: 'uuid' }, required: true }] })).toHaveLength(1);
    expect(bad({ columns: [{ name: '_job_id', type: { kind: 'uuid' }, required: true }] })).toHaveLength(1);
    expect(bad({ mode: 'upsert', key: [] })).toEqual(['dataset "x": upsert needs a key']);
    expect(bad({ key: ['note'] })).toEqual(['dataset "x": key column note must be required']);
    expect(bad({ key: ['nope'] })).toEqual(['dataset "x": key nope is not a declared column']);
    expect(bad({ maxRejects: -1 })).toHaveLength(1);
    expect(bad({ maxFileBytes: 0 })).toHaveLength(1);
    // Up to 100 GiB: S3's 10,000 parts of 11 MiB.
    expect(bad({ maxFileBytes: 100 * 1024 ** 3 })).toEqual([]);
    expect(bad({ maxFileBytes: 100 * 1024 ** 3 + 1 })).toEqual([expect.stringContaining('at most 100 GiB')]);
    expect(
      bad({ columns: [{ name: 'n', type: { kind: 'numeric', precision: 2, scale: 3 }, required: false }] }),
    ).toHaveLength(1);
    expect(
      bad({ columns: [{ name: 'n', type: { kind: 'text', maxLength: 0 }, required: false }] }),
    ).toHaveLength(1);
  });
});

/**
 * Migration 003's CREATE TABLE statements with the column types migration 006 changes
 * (`ALTER TABLE t ALTER COLUMN c TYPE d, ...`) written in: the tables as they are after both.
 */
function retyped(sql003: string, sql006: string): string {
  let out = sql003;
  for (const alter of sql006.matchAll(/ALTER TABLE (\w+)((?:\s+ALTER COLUMN \w+ TYPE \w+,?)+);/g)) {
    const start = out.indexOf(`CREATE TABLE ${alter[1]} (`);
    const end = out.indexOf(');', start);
    let table = out.slice(start, end);
    for (const [, column, type] of (alter[2] ?? '').matchAll(/ALTER COLUMN (\w+) TYPE (\w+)/g)) {
      table = table.replace(new RegExp(`\\n  ${column} [^\\s,]+`), `\n  ${column} ${type}`);
    }
    out = out.slice(0, start) + table + out.slice(end);
  }
  return out;
}

describe("the sample datasets' hand-written migrations 001, 002 (ingest 003 and 006 before they moved) and 004", () => {
  const sql003 = readFileSync(join(MIGRATIONS_DIR, '001_datasets.sql'), 'utf8');
  const sql006 = readFileSync(join(MIGRATIONS_DIR, '002_text_length_domains.sql'), 'utf8');
  const sql004 = readFileSync(join(MIGRATIONS_DIR, '004_job_id_brin.sql'), 'utf8');
  const sql = normalize(`${retyped(sql003, sql006)}\n${sql006}`);

  it('create every domain, table and _job_id index the declarations imply', () => {
    // The indexes as 004 left them (BRIN), the rest as 001 and 002 did.
    const all = `${sql} ${normalize(sql004)}`;
    for (const statement of datasetSchemaSql(DATASETS)) {
      expect(all).toContain(normalize(statement));
    }
    for (const dataset of DATASETS)
      expect(normalize(sql004)).toContain(
        `DROP INDEX ${dataset.table}_job_id; CREATE INDEX ${dataset.table}_job_id`,
      );
  });

  it('leave no varchar column: varchar(n) would cut over-long values that end in spaces', () => {
    const tables = retyped(sql003, sql006).match(/CREATE TABLE[\s\S]*?\n\);/g) ?? [];
    expect(tables).toHaveLength(DATASETS.length);
    for (const table of tables) expect(table).not.toMatch(/varchar/);
    expect(datasetSchemaSql(DATASETS).join('\n')).not.toMatch(/varchar/);
    expect(normalize(sql006)).toContain('DROP DOMAIN ingest_req_varchar_3;');
  });

  it('gives each rule a type PostgreSQL checks while reading the value', () => {
    const types = Object.fromEntries(TRANSACTIONS.columns.map((c) => [c.name, columnSqlType(c)]));
    expect(types).toEqual({
      transaction_id: 'ingest_req_uuid',
      customer_external_id: 'ingest_req_uuid',
      amount: 'ingest_req_numeric_12_2',
      currency: 'ingest_req_text_3',
      occurred_at: 'ingest_req_timestamptz',
      note: 'ingest_text_500',
    });
    expect(sql).toContain(
      'CREATE DOMAIN ingest_req_numeric_12_2 AS numeric NOT NULL CHECK (min_scale(VALUE) <= 2 AND abs(VALUE) < 1e10);',
    );
    expect(sql).toContain("_job_id uuid NOT NULL DEFAULT current_setting('herald.job_id')::uuid");
  });
});
