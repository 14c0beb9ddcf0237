import type { ColumnDefinition, DatasetDefinition } from './types.ts';

/**
 * How a dataset declaration becomes PostgreSQL DDL. The loader lets PostgreSQL parse AND
 * validate every value inside `COPY ... ON_ERROR ignore` (see docs/adr/002-ingest-load-path.md),
 * so each declared rule must be a rule PostgreSQL checks while it converts the input text:
 *
 * - `maxLength` → a text domain with CHECK `char_length(VALUE) <= n`: an over-long value is a
 *   soft (skippable) input error. Not `varchar(n)`: its input silently CUTS a value whose excess
 *   characters are all spaces (SQL-standard behaviour) instead of refusing it, so `'EUR '` would
 *   load as `'EUR'` and a padded note would lose its end (migration 006).
 * - `required` → a domain `... NOT NULL`: domain input runs for NULL too, so an empty required
 *   value is a soft error reported with its line and column (a table `NOT NULL` would abort the
 *   whole COPY without naming the row). The column also carries `NOT NULL` for the catalogue.
 * - `numeric(p,s)` → unconstrained `numeric` with a domain CHECK: the typmod `numeric(12,2)`
 *   would silently ROUND `12.345`; the CHECK refuses it instead.
 * - `date`/`timestamptz` → a domain CHECK `isfinite(VALUE)`, refusing `infinity`.
 *
 * SQL identifiers come only from these declarations and are checked by {@link datasetProblems}.
 */

/**
 * The largest file a dataset may accept: 100 GiB, uploaded in at most 10,000 parts of 11 MiB
 * (`core/multipart-upload.ts`); the worker streams it with bounded memory at any size.
 *
 * @example
 * if (dataset.maxFileBytes > MAX_DATASET_FILE_BYTES) throw new Error('too large');
 */
export const MAX_DATASET_FILE_BYTES = 100 * 1024 ** 3;

/** The column every dataset table carries: the job that loaded (or last upserted) the row. */
export const JOB_ID_COLUMN = '_job_id';

/** The transaction-local setting the `_job_id` DEFAULT reads, so COPY writes each row once. */
export const JOB_ID_SETTING = 'herald.job_id';

const IDENTIFIER = /^[a-z][a-z0-9_]{0,62}$/;

// PostgreSQL's reserved key words (https://www.postgresql.org/docs/current/sql-keywords-appendix.html):
// the DDL writes identifiers unquoted, so a column named `order` would not parse.
const RESERVED = new Set(
  (
    'all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate ' +
    'collation column concurrently constraint create cross current_catalog current_date current_role ' +
    'current_schema current_time current_timestamp current_user default deferrable desc distinct do else ' +
    'end except false fetch for foreign freeze from full grant group having ilike in initially inner ' +
    'intersect into is isnull join lateral leading left like limit localtime localtimestamp natural not ' +
    'notnull null offset on only or order outer overlaps placing primary references returning right select ' +
    'session_user similar some symmetric system_user table tablesample then to trailing true union unique ' +
    'user using variadic verbose when where window with'
  ).split(' '),
);

/**
 * Whether a name may stand unquoted in the DDL: a lower-case identifier of at most 63 characters
 * that is not a reserved key word.
 *
 * @example
 * isSafeIdentifier('amount'); // true
 * isSafeIdentifier('order'); // false
 */
export function isSafeIdentifier(name: string): boolean {
  return IDENTIFIER.test(name) && !RESERVED.has(name);
}

/** A CREATE DOMAIN the dataset tables need. */
export interface DomainDefinition {
  readonly name: string;
  readonly sql: string;
}

function baseType(column: ColumnDefinition): string {
  const t = column.type;
  switch (t.kind) {
    case 'numeric':
      return 'numeric';
    default:
      return t.kind;
  }
}

function checkFor(column: ColumnDefinition): string | undefined {
  const t = column.type;
  switch (t.kind) {
    case 'text':
      // Characters, as varchar(n) counts them; never cut, unlike varchar(n) (see above).
      return t.maxLength === undefined ? undefined : `char_length(VALUE) <= ${t.maxLength}`;
    case 'numeric':
      // min_scale: `12.340` is exact at scale 2 and accepted; `12.345` is refused. NaN and
      // Infinity fail `abs(VALUE) < 1eN` (NaN sorts above every number in PostgreSQL).
      return `min_scale(VALUE) <= ${t.scale} AND abs(VALUE) < 1e${t.precision - t.scale}`;
    case 'date':
    case 'timestamptz':
      return 'isfinite(VALUE)';
    default:
      return undefined;
  }
}

function domainName(column: ColumnDefinition): string | undefined {
  const t = column.type;
  const check = checkFor(column);
  if (!column.required && check === undefined) return undefined;
  const parts = ['ingest'];
  if (column.required) parts.push('req');
  if (t.kind === 'text') parts.push(t.maxLength === undefined ? 'text' : `text_${t.maxLength}`);
  else if (t.kind === 'numeric') parts.push(`numeric_${t.precision}_${t.scale}`);
  else parts.push(t.kind);
  return parts.join('_');
}

/** The SQL type of a dataset column in its table: a base type, or one of {@link datasetDomains}. */
export function columnSqlType(column: ColumnDefinition): string {
  return domainName(column) ?? baseType(column);
}

/** The domains the given datasets' tables use, each once, in a stable order. */
export function datasetDomains(datasets: readonly DatasetDefinition[]): DomainDefinition[] {
  const found = new Map<string, DomainDefinition>();
  for (const dataset of datasets) {
    for (const column of dataset.columns) {
      const name = domainName(column);
      if (name === undefined || found.has(name)) continue;
      const check = checkFor(column);
      const sql = [
        `CREATE DOMAIN ${name} AS ${baseType(column)}`,
        column.required ? ' NOT NULL' : '',
        check === undefined ? '' : ` CHECK (${check})`,
        ';',
      ].join('');
      found.set(name, { name, sql });
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The `_job_id` index: BRIN with the minmax-multi operator class. COPY writes a job's rows one
 * after another, so each block range holds one or two jobs and the index stays a few KiB;
 * measured (`pnpm bench job-index`, ADR 002) a load costs 1.03× no index against 1.24× with a
 * B-tree, and finding one job's rows among 40 jobs of 1 M rows takes ~6 ms (B-tree ~2 ms, no index
 * ~55 ms). Nothing on Herald's request path looks rows up by job; operators do, now and then.
 */
export const JOB_ID_INDEX = `USING brin (${JOB_ID_COLUMN} uuid_minmax_multi_ops)`;

/** CREATE TABLE and its `_job_id` index for one dataset (unqualified: callers set search_path). */
export function datasetTableSql(dataset: DatasetDefinition): string[] {
  const lines = dataset.columns.map(
    (c) => `  ${c.name} ${columnSqlType(c)}${c.required ? ' NOT NULL' : ''},`,
  );
  lines.push(`  ${JOB_ID_COLUMN} uuid NOT NULL DEFAULT current_setting('${JOB_ID_SETTING}')::uuid`);
  if (dataset.key.length > 0) {
    const last = lines.length - 1;
    lines[last] = `${lines[last]},`;
    lines.push(`  PRIMARY KEY (${dataset.key.join(', ')})`);
  }
  return [
    `CREATE TABLE ${dataset.table} (\n${lines.join('\n')}\n);`,
    `CREATE INDEX ${dataset.table}_job_id ON ${dataset.table} ${JOB_ID_INDEX};`,
  ];
}

/** Every statement that creates the given datasets' domains and tables. */
export function datasetSchemaSql(datasets: readonly DatasetDefinition[]): string[] {
  return [...datasetDomains(datasets).map((d) => d.sql), ...datasets.flatMap((d) => datasetTableSql(d))];
}

/**
 * What is wrong with a declaration (empty when it is sound): identifiers the loader will put in
 * SQL, keys that are not required columns, impossible limits.
 */
export function datasetProblems(dataset: DatasetDefinition): string[] {
  const problems: string[] = [];
  const where = `dataset ${JSON.stringify(dataset.name)}`;
  if (!/^[a-z][a-z0-9_]{0,62}$/.test(dataset.name))
    problems.push(`${where}: name must be a lower-case identifier`);
  if (!isSafeIdentifier(dataset.table))
    problems.push(`${where}: table must be a lower-case, non-reserved identifier`);
  if (dataset.columns.length === 0) problems.push(`${where}: declares no columns`);
  const names = new Set<string>();
  for (const column of dataset.columns) {
    // `_job_id` and any other `_` name are reserved for columns Herald adds.
    if (!isSafeIdentifier(column.name))
      problems.push(
        `${where}: column ${JSON.stringify(column.name)} is not a lower-case, non-reserved identifier`,
      );
    if (names.has(column.name)) problems.push(`${where}: column ${column.name} is declared twice`);
    names.add(column.name);
    const t = column.type;
    if (
      t.kind === 'text' &&
      t.maxLength !== undefined &&
      !(Number.isInteger(t.maxLength) && t.maxLength > 0 && t.maxLength <= 10_485_760)
    ) {
      problems.push(`${where}: column ${column.name} has an invalid maxLength`);
    }
    if (
      t.kind === 'numeric' &&
      !(
        Number.isInteger(t.precision) &&
        Number.isInteger(t.scale) &&
        t.precision >= 1 &&
        t.precision <= 1000 &&
        t.scale >= 0 &&
        t.scale <= t.precision
      )
    ) {
      problems.push(`${where}: column ${column.name} has an invalid numeric precision or scale`);
    }
  }
  for (const key of dataset.key) {
    const column = dataset.columns.find((c) => c.name === key);
    if (column === undefined) problems.push(`${where}: key ${key} is not a declared column`);
    else if (!column.required) problems.push(`${where}: key column ${key} must be required`);
  }
  if (dataset.mode === 'upsert' && dataset.key.length === 0) problems.push(`${where}: upsert needs a key`);
  if (!(Number.isInteger(dataset.maxRejects) && dataset.maxRejects >= 0))
    problems.push(`${where}: maxRejects must be a whole number ≥ 0`);
  if (!(Number.isSafeInteger(dataset.maxFileBytes) && dataset.maxFileBytes > 0))
    problems.push(`${where}: maxFileBytes must be a positive whole number`);
  else if (dataset.maxFileBytes > MAX_DATASET_FILE_BYTES)
    problems.push(`${where}: maxFileBytes may be at most 100 GiB (${MAX_DATASET_FILE_BYTES})`);
  return problems;
}
