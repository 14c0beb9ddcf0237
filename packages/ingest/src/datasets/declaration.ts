import * as z from 'zod';
import { isSafeIdentifier } from './ddl.ts';
import type { ColumnDefinition, ColumnType, DatasetDefinition, LoadMode } from './types.ts';

/**
 * The dataset declaration file, `herald.datasets.json` at the repository root: what an adopter
 * writes to describe their data (docs/datasets.md, ADR 007). JSON with a published JSON Schema
 * (`docs/datasets.schema.json`, generated from {@link DatasetsFileSchema}) rather than TypeScript:
 * the CDK app, the migrator, the CLI and the tests read the same file without compiling it, a
 * migration can carry a declaration verbatim into the database, and an editor completes and
 * checks it from the schema.
 *
 * {@link parseDatasetsDeclaration} lists EVERY problem of a file at once, each as a sentence
 * naming the dataset and column, so a bad file is fixed in one round.
 */

/** The column types a declaration may use, as written in the file. */
export const COLUMN_TYPE_NAMES = [
  'uuid',
  'integer',
  'bigint',
  'numeric(p,s)',
  'boolean',
  'date',
  'timestamptz',
  'text',
] as const;

const TYPE = /^(uuid|integer|bigint|boolean|date|timestamptz|text|numeric\(\s*\d+\s*(,\s*\d+\s*)?\))$/;
const GROUP = /^(\*|[A-Za-z0-9_.@+=:-]{1,128})$/;
/** PostgreSQL's `text` limit for a declared length (what varchar(n) allows). */
const MAX_TEXT_LENGTH = 10_485_760;
/** PostgreSQL's most digits of a declared numeric precision. */
const MAX_NUMERIC_PRECISION = 1000;
/** PostgreSQL's most columns per table, minus `_job_id`. */
const MAX_COLUMNS = 1599;
/**
 * Whether a string can be a declared dataset's name (a lower-case identifier of at most 63
 * characters). No other name is ever declared: a catalog answers "unknown" for it without a look-up.
 *
 * @example
 * isDatasetName('orders'); // true
 * isDatasetName('transactions\u0000'); // false
 */
export function isDatasetName(name: string): boolean {
  return /^[a-z][a-z0-9_]{0,62}$/.test(name);
}

/** A presigned S3 PUT (one request) uploads at most 5 GiB. */
export const MAX_UPLOAD_BYTES = 5 * 1024 ** 3;
/** Tables and types Herald owns; a dataset table may not take these names (tables share pg_type with domains). */
const OWN_PREFIXES = ['ingest_', 'herald_', 'pg_'];
const OWN_TABLES = new Set(['schema_migrations', 'file_grants']);

const text = (description: string) => z.string().meta({ description });

/** One column of a declared dataset, as written in the file. */
export const DeclaredColumnSchema = z
  .strictObject({
    name: text('Column name: a lower-case SQL identifier, also its CSV header name.'),
    type: z
      .string()
      .regex(TYPE)
      .meta({
        description: `One of ${COLUMN_TYPE_NAMES.join(', ')}; numeric takes a precision and a scale, e.g. numeric(12,2).`,
      }),
    maxLength: z
      .int({ error: `must be a whole number from 1 to ${MAX_TEXT_LENGTH}` })
      .min(1, { error: `must be a whole number from 1 to ${MAX_TEXT_LENGTH}` })
      .max(MAX_TEXT_LENGTH, { error: `must be a whole number from 1 to ${MAX_TEXT_LENGTH}` })
      .optional()
      .meta({ description: 'text only: the most characters (not bytes) a value may have.' }),
    required: z.boolean().optional().meta({ description: 'An empty value is refused. Default false.' }),
    aliases: z
      .array(z.string().min(1).max(128))
      .optional()
      .meta({ description: 'Other CSV header names for this column (matched ignoring case and spaces).' }),
    description: text('For people reading the file; not used by Herald.').optional(),
  })
  .meta({ description: 'One column of a dataset.' });

/** One dataset, as written in the file. */
export const DeclaredDatasetSchema = z
  .strictObject({
    name: text('The name clients upload to (POST /uploads {dataset}): a lower-case identifier.'),
    table: text('The table the rows go to. Default: the dataset name.').optional(),
    description: text('For people reading the file; not used by Herald.').optional(),
    mode: z.enum(['append', 'replace', 'upsert']).meta({
      description: 'append adds rows; replace swaps the whole table; upsert inserts or updates on key.',
    }),
    key: z
      .array(z.string())
      .optional()
      .meta({ description: 'Key columns (required ones): the primary key; upsert needs one.' }),
    columns: z.array(DeclaredColumnSchema).meta({ description: 'The columns, at least one.' }),
    maxRejects: z
      .int({ error: 'must be a whole number ≥ 0' })
      .min(0, { error: 'must be a whole number ≥ 0' })
      .optional()
      .meta({ description: 'Rows with bad values skipped and reported before the job fails. Default 0.' }),
    maxFileBytes: z
      .int({ error: 'must be a whole number of bytes' })
      .min(1, { error: 'must be at least 1 byte' })
      .max(MAX_UPLOAD_BYTES)
      .meta({ description: 'Largest accepted upload, in bytes (at most 5 GiB: one presigned S3 PUT).' }),
    uploadGroups: z.array(z.string().regex(GROUP)).optional().meta({
      description:
        'Cognito groups whose members may upload; "*" is every signed-in user. Deny by default: none.',
    }),
  })
  .meta({ description: 'One dataset: its table, columns, load mode, limits and uploaders.' });

/** The whole declaration file. */
export const DatasetsFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    datasets: z.array(DeclaredDatasetSchema),
  })
  .meta({
    title: 'Herald dataset declarations',
    description: 'herald.datasets.json: the datasets an adopter loads with Herald (docs/datasets.md).',
  });

export type DeclaredColumn = z.infer<typeof DeclaredColumnSchema>;
export type DeclaredDataset = z.infer<typeof DeclaredDatasetSchema>;
export type DatasetsFile = z.infer<typeof DatasetsFileSchema>;

/**
 * The JSON Schema of the declaration file (`docs/datasets.schema.json`), for editors.
 *
 * @example
 * writeFileSync('docs/datasets.schema.json', JSON.stringify(datasetsJsonSchema(), null, 2));
 */
export function datasetsJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(DatasetsFileSchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
}

export type DeclarationResult =
  | { readonly ok: true; readonly datasets: readonly DatasetDefinition[] }
  | { readonly ok: false; readonly problems: readonly string[] };

const show = (value: unknown): string => JSON.stringify(value);
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** How a header name is compared with declared names and aliases (as the loader compares them). */
const headerKey = (name: string) => name.trim().toLowerCase();

function typeOf(type: string, maxLength: number | undefined): ColumnType {
  const numeric = /^numeric\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$/.exec(type);
  if (numeric) return { kind: 'numeric', precision: Number(numeric[1]), scale: Number(numeric[2] ?? 0) };
  if (type === 'text') return maxLength === undefined ? { kind: 'text' } : { kind: 'text', maxLength };
  return { kind: type as Exclude<ColumnType['kind'], 'text' | 'numeric'> };
}

/**
 * A column type as the file writes it.
 *
 * @example
 * columnTypeName({ kind: 'numeric', precision: 12, scale: 2 }); // 'numeric(12,2)'
 */
export function columnTypeName(type: ColumnType): string {
  return type.kind === 'numeric' ? `numeric(${type.precision},${type.scale})` : type.kind;
}

/** Zod's issue as a sentence: the field, then what is wrong with it. */
function issueSentence(where: string, issue: z.core.$ZodIssue, input: unknown): string {
  const field = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  const at = field === '' ? where : `${where}, ${field.replace(/^\./, '')}`;
  if (issue.code === 'unrecognized_keys')
    return `${at}: unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map(show).join(', ')}`;
  const value = issue.path.reduce<unknown>(
    (v, p) =>
      isObject(v) || Array.isArray(v) ? (v as Record<PropertyKey, unknown>)[p as PropertyKey] : undefined,
    input,
  );
  if (issue.path.at(-1) === 'type' && issue.code === 'invalid_format')
    return `${where}: unknown type ${show(value)}; use one of ${COLUMN_TYPE_NAMES.join(', ')}`;
  if (issue.path.includes('uploadGroups') && issue.code === 'invalid_format')
    return `${at}: ${show(value)} is not a Cognito group name (letters, digits and _.@+=:- up to 128 characters, or "*")`;
  if (issue.path.at(-1) === 'maxFileBytes' && issue.code === 'too_big')
    return `${at}: ${show(value)} is more than 5 GiB, the most one presigned S3 PUT uploads`;
  if (issue.code === 'invalid_type' && value === undefined) return `${at}: is missing`;
  return `${at}: ${issue.message}`;
}

function checkColumn(
  where: string,
  raw: unknown,
  problems: string[],
): { column: ColumnDefinition; raw: DeclaredColumn } | undefined {
  const parsed = DeclaredColumnSchema.safeParse(raw);
  if (!parsed.success)
    for (const issue of parsed.error.issues) problems.push(issueSentence(where, issue, raw));
  let ok = parsed.success;
  const problem = (sentence: string) => {
    problems.push(`${where}: ${sentence}`);
    ok = false;
  };
  // The name is checked even when another field is wrong: every problem in one round.
  const name = isObject(raw) ? raw.name : undefined;
  if (typeof name === 'string' && name.startsWith('_'))
    problem(`names starting with "_" are reserved for columns Herald adds (such as _job_id)`);
  else if (typeof name === 'string' && !isSafeIdentifier(name))
    problem(
      `${show(name)} is not a safe column name: use a lower-case letter, then letters, digits or _ (at most 63), and no SQL reserved word`,
    );
  if (!parsed.success) return undefined;
  const c = parsed.data;
  const type = typeOf(c.type, c.maxLength);
  if (c.maxLength !== undefined && type.kind !== 'text')
    problem(`maxLength applies to text only, not to ${c.type}`);
  if (type.kind === 'numeric') {
    if (type.precision < 1 || type.precision > MAX_NUMERIC_PRECISION)
      problem(`numeric precision must be 1 to ${MAX_NUMERIC_PRECISION}, not ${type.precision}`);
    else if (type.scale > type.precision)
      problem(`numeric scale ${type.scale} is larger than its precision ${type.precision}`);
  }
  for (const alias of c.aliases ?? []) {
    // Header cells are compared trimmed and lower-cased; a control character never matches one.
    if (alias.trim() === '' || /\p{Cc}/u.test(alias))
      problem(`alias ${show(alias)} can never match a header`);
  }
  if (!ok) return undefined;
  return {
    raw: c,
    column: {
      name: c.name,
      type,
      required: c.required ?? false,
      ...(c.aliases !== undefined && c.aliases.length > 0 && { aliases: c.aliases }),
    },
  };
}

function checkDataset(index: number, raw: unknown, problems: string[]): DatasetDefinition | undefined {
  if (!isObject(raw)) {
    problems.push(`datasets[${index}]: must be an object`);
    return undefined;
  }
  const named = typeof raw.name === 'string' && raw.name !== '' ? raw.name : undefined;
  const where = named === undefined ? `datasets[${index}]` : `dataset ${show(named)}`;
  const before = problems.length;
  // The dataset's own fields, with columns checked one by one below (so one bad column does not
  // hide the others' problems).
  const shape = DeclaredDatasetSchema.extend({ columns: z.array(z.unknown()) }).safeParse(raw);
  if (!shape.success) for (const issue of shape.error.issues) problems.push(issueSentence(where, issue, raw));

  const rawColumns = Array.isArray(raw.columns) ? raw.columns : [];
  const columns: ColumnDefinition[] = [];
  const names = new Map<string, number>();
  const headers = new Map<string, string>();
  rawColumns.forEach((rawColumn, i) => {
    const columnName = isObject(rawColumn) && typeof rawColumn.name === 'string' ? rawColumn.name : undefined;
    const at = `${where}, ${columnName === undefined ? `columns[${i}]` : `column ${show(columnName)}`}`;
    if (columnName !== undefined) {
      if (names.has(columnName)) problems.push(`${where}: column ${show(columnName)} is declared twice`);
      names.set(columnName, i);
    }
    const checked = checkColumn(at, rawColumn, problems);
    if (checked === undefined) return;
    columns.push(checked.column);
    for (const header of [checked.column.name, ...(checked.column.aliases ?? [])]) {
      const key = headerKey(header);
      const owner = headers.get(key);
      if (owner !== undefined && owner !== checked.column.name)
        problems.push(`${at}: header name ${show(header)} already names column ${show(owner)}`);
      else if (owner === checked.column.name && header !== checked.column.name)
        problems.push(`${at}: alias ${show(header)} repeats a name of the same column`);
      headers.set(key, checked.column.name);
    }
  });
  if (Array.isArray(raw.columns) && raw.columns.length === 0) problems.push(`${where}: declares no columns`);
  if (rawColumns.length > MAX_COLUMNS)
    problems.push(
      `${where}: declares ${rawColumns.length} columns; PostgreSQL allows ${MAX_COLUMNS} besides _job_id`,
    );
  if (!shape.success) return undefined;

  const d = shape.data;
  const table = d.table ?? d.name;
  if (!isDatasetName(d.name))
    problems.push(
      `${where}: the name must be a lower-case identifier (a letter, then letters, digits or _; at most 63)`,
    );
  if (!isSafeIdentifier(table))
    problems.push(
      `${where}: ${show(table)} is not a safe table name: use a lower-case letter, then letters, digits or _ (at most 63), and no SQL reserved word`,
    );
  else if (OWN_TABLES.has(table) || OWN_PREFIXES.some((p) => table.startsWith(p)))
    problems.push(
      `${where}: table ${show(table)} is Herald's own (names starting ${OWN_PREFIXES.join(', ')} and ${[...OWN_TABLES].join(', ')} are reserved)`,
    );
  const key = d.key ?? [];
  const seenKey = new Set<string>();
  for (const k of key) {
    if (seenKey.has(k)) problems.push(`${where}: key column ${show(k)} is listed twice`);
    seenKey.add(k);
    const declared = rawColumns.find((c) => isObject(c) && c.name === k);
    if (declared === undefined) problems.push(`${where}: key ${show(k)} is not a declared column`);
    else if (!(isObject(declared) && declared.required === true))
      problems.push(`${where}: key column ${show(k)} must be required (a key value can never be empty)`);
  }
  if (d.mode === 'upsert' && key.length === 0)
    problems.push(`${where}: upsert needs a key (the columns that say which row a line updates)`);
  if (problems.length > before) return undefined;
  return {
    name: d.name,
    table,
    mode: d.mode as LoadMode,
    key,
    columns,
    maxRejects: d.maxRejects ?? 0,
    maxFileBytes: d.maxFileBytes,
    uploadGroups: [...new Set(d.uploadGroups ?? [])],
  };
}

/**
 * Checks a parsed declaration file and turns it into dataset definitions, or lists EVERY problem
 * it has (shape, unknown types, unsafe or reserved identifiers, keys that are not required
 * columns, duplicate names and tables, limits), each a sentence naming the dataset and column.
 *
 * @example
 * const result = parseDatasetsDeclaration(JSON.parse(readFileSync('herald.datasets.json', 'utf8')));
 * if (!result.ok) throw new Error(result.problems.join('\n'));
 */
export function parseDatasetsDeclaration(input: unknown): DeclarationResult {
  const problems: string[] = [];
  if (!isObject(input)) return { ok: false, problems: ['the file must hold a JSON object with "datasets"'] };
  const top = DatasetsFileSchema.extend({ datasets: z.array(z.unknown()) }).safeParse(input);
  if (!top.success)
    for (const issue of top.error.issues) problems.push(issueSentence('the file', issue, input));
  const raw = Array.isArray(input.datasets) ? input.datasets : [];
  const datasets: DatasetDefinition[] = [];
  raw.forEach((entry, index) => {
    const dataset = checkDataset(index, entry, problems);
    if (dataset) datasets.push(dataset);
  });
  const byName = new Map<string, number>();
  const byTable = new Map<string, string>();
  raw.forEach((entry) => {
    if (!isObject(entry) || typeof entry.name !== 'string') return;
    const name = entry.name;
    byName.set(name, (byName.get(name) ?? 0) + 1);
    if (byName.get(name) === 2) problems.push(`dataset ${show(name)} is declared twice`);
    const table = typeof entry.table === 'string' ? entry.table : name;
    const other = byTable.get(table);
    if (other !== undefined && other !== name)
      problems.push(
        `dataset ${show(name)}: table ${show(table)} is already the table of dataset ${show(other)}`,
      );
    else byTable.set(table, name);
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, datasets };
}

/**
 * A dataset definition in the file's form, with every default written out and without
 * descriptions: what a migration records in the database and what two declarations are
 * compared by.
 *
 * @example
 * declaredForm(dataset); // { name, table, mode, key, columns: [{ name, type: 'numeric(12,2)', required }], … }
 */
export function declaredForm(dataset: DatasetDefinition): DeclaredDataset {
  return {
    name: dataset.name,
    table: dataset.table,
    mode: dataset.mode,
    key: [...dataset.key],
    columns: dataset.columns.map((c) => ({
      name: c.name,
      type: columnTypeName(c.type),
      ...(c.type.kind === 'text' && c.type.maxLength !== undefined && { maxLength: c.type.maxLength }),
      required: c.required,
      ...(c.aliases !== undefined && c.aliases.length > 0 && { aliases: [...c.aliases] }),
    })),
    maxRejects: dataset.maxRejects,
    maxFileBytes: dataset.maxFileBytes,
    uploadGroups: [...dataset.uploadGroups],
  };
}

/**
 * One dataset read back from its recorded form (a row of `ingest_datasets`), or `undefined`
 * when the record is not a sound declaration.
 *
 * @example
 * const dataset = datasetFromRecord(row.declaration);
 */
export function datasetFromRecord(record: unknown): DatasetDefinition | undefined {
  const result = parseDatasetsDeclaration({ datasets: [record] });
  return result.ok ? result.datasets[0] : undefined;
}

/**
 * A declared dataset as JSON with one member per line and one column per line: how migrations
 * record it and `herald datasets infer` prints it (a reviewer reads it in a diff).
 *
 * @example
 * formatDeclared(declaredForm(dataset)); // '{\n  "name": "orders",\n  …\n  "columns": [\n    {"name":"order_id",…},\n …'
 */
export function formatDeclared(dataset: DeclaredDataset): string {
  const members = Object.entries(dataset).map(([key, value]) =>
    key === 'columns'
      ? `  "columns": [\n${dataset.columns.map((c) => `    ${JSON.stringify(c)}`).join(',\n')}\n  ]`
      : `  ${JSON.stringify(key)}: ${JSON.stringify(value)}`,
  );
  return `{\n${members.join(',\n')}\n}`;
}
