import { columnSqlType, datasetDomains, datasetTableSql } from './ddl.ts';
import { columnTypeName, declaredForm, formatDeclared } from './declaration.ts';
import type { ColumnDefinition, ColumnType, DatasetDefinition } from './types.ts';

/**
 * Schema evolution without hand-written SQL: the difference between the declarations a database
 * already has (the last applied migration's) and the ones in `herald.datasets.json`, as a list
 * of changes — each safe or unsafe, with a sentence — and the SQL of the migration that makes
 * the one into the other.
 *
 * Safe (applied on their own, no data at risk): a new dataset, a new optional column, a longer
 * or removed max length, a wider numeric (no fewer integer digits, no fewer decimals), a column
 * made optional, and declaration-only changes (header aliases, groups, limits, mode). Unsafe
 * (refused, with a sentence saying why and what to do, unless explicitly allowed): dropping a
 * dataset or a column, a new required column, a column made required, a shorter max length, a
 * narrower numeric, any other change of type, a new or changed key, a new table name.
 *
 * Every migration also records the declarations it brings the tables to in `ingest_datasets`
 * (one row per dataset), where the upload check and the worker read them: the declaration and
 * its tables change in one transaction.
 */

/** One difference between the applied and the declared datasets. */
export interface DatasetChange {
  readonly dataset: string;
  /** Safe changes apply on their own; unsafe ones need `allowUnsafe`. */
  readonly safe: boolean;
  /** What changes; for an unsafe change also why it is refused and what to do instead. */
  readonly sentence: string;
  /** The statements that make the change (without the declaration record). */
  readonly sql: readonly string[];
}

/** What `herald datasets plan` prints and `migrate` writes. */
export interface MigrationPlan {
  readonly changes: readonly DatasetChange[];
  /** Unsafe changes that were not allowed: while any remain, nothing may be written. */
  readonly refused: readonly DatasetChange[];
  /** The migration's statements, in order (empty when the declarations already match). */
  readonly statements: readonly string[];
}

export interface PlanOptions {
  /** Generate the SQL of unsafe changes too (they may fail on existing data, or lose it). @default false */
  readonly allowUnsafe?: boolean;
}

/** Records datasets in `ingest_datasets`: the marker the planner reads back from migrations. */
const DECLARATION_QUOTE = '$declaration$';

/**
 * The statement that records one dataset's declaration (insert or replace).
 *
 * @example
 * declarationSql(dataset); // INSERT INTO ingest_datasets (name, declaration) VALUES ('orders', $declaration${…}$declaration$) …
 */
export function declarationSql(dataset: DatasetDefinition): string {
  const json = formatDeclared(declaredForm(dataset));
  return (
    `INSERT INTO ingest_datasets (name, declaration) VALUES ('${dataset.name}', ${DECLARATION_QUOTE}\n${json}\n${DECLARATION_QUOTE})\n` +
    '  ON CONFLICT (name) DO UPDATE SET declaration = EXCLUDED.declaration, updated_at = now();'
  );
}

/** The statement that forgets a dataset that is no longer declared. */
function forgetSql(name: string): string {
  return `DELETE FROM ingest_datasets WHERE name = '${name}';`;
}

const RECORD =
  /INSERT INTO ingest_datasets \(name, declaration\) VALUES \('([a-z][a-z0-9_]*)', \$declaration\$([\s\S]*?)\$declaration\$\)|DELETE FROM ingest_datasets WHERE name = '([a-z][a-z0-9_]*)';/g;

/**
 * The declarations a sequence of dataset migrations leaves recorded, replayed from their SQL in
 * order (what `ingest_datasets` holds once they are applied). Records that are not sound
 * declarations are reported, not skipped.
 *
 * @example
 * const applied = appliedDeclarations(files.map((f) => ({ file: f.name, sql: f.sql })));
 */
export function appliedDeclarations(
  migrations: readonly { readonly file: string; readonly sql: string }[],
  parse: (record: unknown) => DatasetDefinition | undefined,
): { readonly datasets: readonly DatasetDefinition[]; readonly problems: readonly string[] } {
  const datasets = new Map<string, DatasetDefinition>();
  const problems: string[] = [];
  for (const { file, sql } of migrations) {
    for (const match of sql.matchAll(RECORD)) {
      if (match[3] !== undefined) {
        datasets.delete(match[3]);
        continue;
      }
      const name = match[1] as string;
      let record: unknown;
      try {
        record = JSON.parse(match[2] as string);
      } catch {
        record = undefined;
      }
      const dataset = parse(record);
      if (dataset === undefined || dataset.name !== name)
        problems.push(`${file}: the declaration recorded for dataset "${name}" is not a sound declaration`);
      else datasets.set(name, dataset);
    }
  }
  return { datasets: [...datasets.values()], problems };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const describeType = (c: ColumnDefinition) =>
  c.type.kind === 'text' && c.type.maxLength !== undefined
    ? `text(${c.type.maxLength})`
    : columnTypeName(c.type);

function columnDef(c: ColumnDefinition): string {
  return `${c.name} ${columnSqlType(c)}${c.required ? ' NOT NULL' : ''}`;
}

/** Whether a value of type `from` always fits `to` without rounding or cutting. */
function widens(from: ColumnType, to: ColumnType): boolean {
  if (from.kind === 'text' && to.kind === 'text')
    return to.maxLength === undefined || (from.maxLength !== undefined && to.maxLength >= from.maxLength);
  if (from.kind === 'numeric' && to.kind === 'numeric')
    return to.scale >= from.scale && to.precision - to.scale >= from.precision - from.scale;
  return false;
}

function columnChanges(applied: DatasetDefinition, declared: DatasetDefinition): DatasetChange[] {
  const changes: DatasetChange[] = [];
  const table = declared.table;
  const name = declared.name;
  const before = new Map(applied.columns.map((c) => [c.name, c]));
  const after = new Map(declared.columns.map((c) => [c.name, c]));
  const change = (safe: boolean, sentence: string, sql: string[]) =>
    changes.push({ dataset: name, safe, sentence, sql });

  for (const old of applied.columns) {
    if (after.has(old.name)) continue;
    change(
      false,
      `${name}: dropping column ${old.name} deletes its value in every row of ${table}. To keep the values, ` +
        `declare it again (optional if new files leave it out); to drop them, migrate with --allow-unsafe.`,
      [`ALTER TABLE ${table} DROP COLUMN ${old.name};`],
    );
  }
  for (const column of declared.columns) {
    const old = before.get(column.name);
    if (old === undefined) {
      if (column.required)
        change(
          false,
          `${name}: new column ${column.name} is required, but the rows already in ${table} have no value ` +
            `for it. Add it as optional, fill it in (or reload), then make it required; or migrate with ` +
            `--allow-unsafe (it fails if ${table} has rows).`,
          [`ALTER TABLE ${table} ADD COLUMN ${columnDef(column)};`],
        );
      else
        change(true, `${name}: new optional column ${column.name} ${describeType(column)}.`, [
          `ALTER TABLE ${table} ADD COLUMN ${columnDef(column)};`,
        ]);
      continue;
    }
    const retype = `ALTER TABLE ${table} ALTER COLUMN ${column.name} TYPE ${columnSqlType(column)}`;
    if (!same(old.type, column.type)) {
      const wider = widens(old.type, column.type);
      const what = `${name}: column ${column.name} from ${describeType(old)} to ${describeType(column)}`;
      if (wider) change(true, `${what} (every value it holds still fits).`, [`${retype};`]);
      else if (old.type.kind === column.type.kind)
        change(
          false,
          `${what} narrows it: values already in ${table} may not fit and the migration would fail on them. ` +
            `Keep the wider type, or check the data and migrate with --allow-unsafe.`,
          [`${retype};`],
        );
      else
        change(
          false,
          `${what} changes its type: values already in ${table} would be converted or refused. Add a new ` +
            `column of the new type instead, or migrate with --allow-unsafe (PostgreSQL casts each value; ` +
            `the migration fails on one that does not convert).`,
          [`${retype} USING ${column.name}::text::${columnSqlType(column)};`],
        );
    }
    if (old.required !== column.required) {
      if (column.required)
        change(
          false,
          `${name}: making column ${column.name} required fails if any row of ${table} has no value for it. ` +
            `Fill in the missing values first, then migrate with --allow-unsafe.`,
          [
            ...(same(old.type, column.type) ? [`${retype};`] : []),
            `ALTER TABLE ${table} ALTER COLUMN ${column.name} SET NOT NULL;`,
          ],
        );
      else
        change(true, `${name}: column ${column.name} becomes optional.`, [
          `ALTER TABLE ${table} ALTER COLUMN ${column.name} DROP NOT NULL;`,
          ...(same(old.type, column.type) ? [`${retype};`] : []),
        ]);
    }
    if (!same(old.aliases ?? [], column.aliases ?? []))
      change(
        true,
        `${name}: column ${column.name} header aliases ${JSON.stringify(column.aliases ?? [])}.`,
        [],
      );
  }
  return changes;
}

function datasetChanges(applied: DatasetDefinition, declared: DatasetDefinition): DatasetChange[] {
  const changes: DatasetChange[] = [];
  const name = declared.name;
  if (applied.table !== declared.table) {
    // Everything else is compared on the renamed table.
    changes.push({
      dataset: name,
      safe: false,
      sentence:
        `${name}: moving the dataset from table ${applied.table} to ${declared.table} renames a table that ` +
        `other readers may query. Keep the table name, or migrate with --allow-unsafe.`,
      sql: [
        `ALTER TABLE ${applied.table} RENAME TO ${declared.table};`,
        `ALTER INDEX ${applied.table}_job_id RENAME TO ${declared.table}_job_id;`,
      ],
    });
  }
  changes.push(...columnChanges({ ...applied, table: declared.table }, declared));
  if (!same(applied.key, declared.key)) {
    const sql = [
      ...(applied.key.length > 0
        ? [`ALTER TABLE ${declared.table} DROP CONSTRAINT ${applied.table}_pkey;`]
        : []),
      ...(declared.key.length > 0
        ? [`ALTER TABLE ${declared.table} ADD PRIMARY KEY (${declared.key.join(', ')});`]
        : []),
    ];
    changes.push({
      dataset: name,
      safe: false,
      sentence:
        declared.key.length === 0
          ? `${name}: removing the key (${applied.key.join(', ')}) lets ${declared.table} hold the same key twice. ` +
            'Keep the key, or migrate with --allow-unsafe.'
          : `${name}: a new key (${declared.key.join(', ')}) fails if rows already in ${declared.table} repeat it, ` +
            'and changes what an upsert replaces. Check the data, then migrate with --allow-unsafe.',
      sql,
    });
  }
  const settings: string[] = [];
  if (applied.mode !== declared.mode) settings.push(`mode ${declared.mode}`);
  if (applied.maxRejects !== declared.maxRejects) settings.push(`maxRejects ${declared.maxRejects}`);
  if (applied.maxFileBytes !== declared.maxFileBytes) settings.push(`maxFileBytes ${declared.maxFileBytes}`);
  if (!same(applied.uploadGroups, declared.uploadGroups))
    settings.push(`uploadGroups ${JSON.stringify(declared.uploadGroups)}`);
  if (settings.length > 0)
    changes.push({ dataset: name, safe: true, sentence: `${name}: ${settings.join(', ')}.`, sql: [] });
  return changes;
}

/**
 * Compares the applied declarations with the declared ones and plans the migration between them.
 *
 * @example
 * const plan = planMigration(applied, declared);
 * if (plan.refused.length > 0) for (const c of plan.refused) console.error(c.sentence);
 */
export function planMigration(
  applied: readonly DatasetDefinition[],
  declared: readonly DatasetDefinition[],
  options: PlanOptions = {},
): MigrationPlan {
  const before = new Map(applied.map((d) => [d.name, d]));
  const after = new Set(declared.map((d) => d.name));
  const changes: DatasetChange[] = [];
  for (const dataset of declared) {
    const old = before.get(dataset.name);
    if (old === undefined) {
      changes.push({
        dataset: dataset.name,
        safe: true,
        sentence: `${dataset.name}: new dataset, table ${dataset.table} (${dataset.columns.length} columns, ${dataset.mode}).`,
        sql: datasetTableSql(dataset),
      });
    } else {
      changes.push(...datasetChanges(old, dataset));
    }
  }
  for (const old of applied) {
    if (after.has(old.name)) continue;
    changes.push({
      dataset: old.name,
      safe: false,
      sentence:
        `${old.name}: no longer declared; dropping table ${old.table} deletes every row it holds. To keep ` +
        'them, declare the dataset again; to drop them, migrate with --allow-unsafe.',
      sql: [`DROP TABLE ${old.table};`],
    });
  }
  const refused = options.allowUnsafe ? [] : changes.filter((c) => !c.safe);
  if (changes.length === 0 || refused.length > 0) return { changes, refused, statements: [] };

  // Domains first (shared by rule; created when the new declarations need one the old did not).
  const existing = new Set(datasetDomains(applied).map((d) => d.name));
  const domains = datasetDomains(declared)
    .filter((d) => !existing.has(d.name))
    .map((d) => d.sql);
  const touched = new Set(changes.map((c) => c.dataset));
  const statements = [
    ...domains,
    ...changes.flatMap((c) => (c.safe ? c.sql : [`-- UNSAFE, allowed: ${c.sentence}`, ...c.sql])),
    ...declared.filter((d) => touched.has(d.name)).map(declarationSql),
    ...applied.filter((d) => !after.has(d.name)).map((d) => forgetSql(d.name)),
  ];
  return { changes, refused, statements };
}

/**
 * What keeps a deploy from running with the declared datasets: the declarations that differ
 * from what the committed migrations record (empty when they match).
 *
 * @example
 * const drift = declarationDrift(applied, declared); // ['dataset "orders" is declared but no migration creates it']
 */
export function declarationDrift(
  applied: readonly DatasetDefinition[],
  declared: readonly DatasetDefinition[],
): string[] {
  const before = new Map(applied.map((d) => [d.name, d]));
  const names = new Set(declared.map((d) => d.name));
  const drift: string[] = [];
  for (const d of declared) {
    const old = before.get(d.name);
    if (old === undefined) drift.push(`dataset "${d.name}" is declared but no migration creates it`);
    else if (!same(declaredForm(old), declaredForm(d)))
      drift.push(`dataset "${d.name}" differs from its last migration`);
  }
  for (const old of applied)
    if (!names.has(old.name)) drift.push(`dataset "${old.name}" has a table but is no longer declared`);
  return drift;
}
