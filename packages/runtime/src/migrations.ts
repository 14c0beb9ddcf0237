import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';

/**
 * A package's folder of versioned SQL migrations (`NNN_name.sql`). Each package owns its files;
 * the runner applies the sources in the order given, each source's files in version order.
 *
 * @example
 * export const MIGRATIONS: MigrationSource = { package: 'ingest', dir: join(here, '..', 'migrations') };
 */
export interface MigrationSource {
  /** The owning package's short name (`ingest`): recorded with each applied migration. */
  readonly package: string;
  readonly dir: string;
}

/**
 * Which migration a row of `schema_migrations` records.
 *
 * @example
 * const id: MigrationId = { package: 'ingest', version: 4, name: 'file_grants' };
 */
export interface MigrationId {
  readonly package: string;
  readonly version: number;
  readonly name: string;
}

/**
 * One migration file, read.
 *
 * @example
 * const m: Migration = { package: 'ingest', version: 1, name: 'ingest_jobs', sql: 'CREATE TABLE …', movedFrom: [] };
 */
export interface Migration extends MigrationId {
  readonly sql: string;
  /**
   * Where databases may have recorded this same migration before it moved to its package: one
   * `-- herald:moved-from <package>/<NNN_name>` line each in the file (see {@link migrate}).
   */
  readonly movedFrom: readonly MigrationId[];
}

const FILE = /^\d{3}_[a-z0-9_]+\.sql$/;

/** A line addressed to the runner; `moved-from` is the only directive. */
const DIRECTIVE = /^--\s*herald:(.*)$/gm;
const MOVED_FROM = /^moved-from ([a-z][a-z0-9-]*)\/(\d{3})_([a-z0-9_]+)$/;

/** The `-- herald:moved-from` lines of a migration file; any other `-- herald:` line is an error. */
function movedFrom(file: string, sql: string): MigrationId[] {
  return [...sql.matchAll(DIRECTIVE)].map(([line, directive]) => {
    const moved = MOVED_FROM.exec((directive ?? '').trim());
    if (moved === null) {
      throw new Error(
        `${file}: "${line.trim()}" is not a runner directive (expected -- herald:moved-from <package>/<NNN_name>)`,
      );
    }
    return { package: moved[1] as string, version: Number(moved[2]), name: moved[3] as string };
  });
}

/**
 * Reads the migrations of the sources, in source order, each source's files in version order.
 *
 * @example
 * const migrations = loadMigrations([MIGRATIONS]);
 */
export function loadMigrations(sources: readonly MigrationSource[]): Migration[] {
  return sources.flatMap((source) =>
    readdirSync(source.dir)
      .filter((file) => FILE.test(file))
      .sort()
      .map((file) => {
        const sql = readFileSync(join(source.dir, file), 'utf8');
        return {
          package: source.package,
          version: Number(file.slice(0, 3)),
          name: file.slice(4, -4),
          sql,
          movedFrom: movedFrom(join(source.dir, file), sql),
        };
      }),
  );
}

/**
 * Options of {@link migrate}.
 *
 * @example
 * const options: MigrateOptions = { sources: [MIGRATIONS], schema: 'test_ab12' };
 */
export interface MigrateOptions {
  /** The packages' migration folders, in the order their migrations apply. */
  readonly sources: readonly MigrationSource[];
  /** Schema to migrate (created if missing); tests use one schema per file. Default `public`. */
  readonly schema?: string;
}

/** The lock every migrator takes: two Lambdas at deploy, or two dev processes, never interleave. */
const LOCK = "SELECT pg_advisory_xact_lock(hashtext('herald.migrations'))";

/**
 * Applies pending migrations, each in its own transaction, recorded in `schema_migrations` as
 * `(package, version, name)`. A transaction-scoped advisory lock serialises concurrent migrators;
 * it ends with the transaction, so it cannot leak a pinned session (RDS Proxy). Returns what this
 * call applied, as `package/NNN_name`.
 *
 * Databases migrated before migrations had packages have a `schema_migrations` keyed by
 * `version` alone (only `@herald/ingest` had migrations then): the first run adds the `package`
 * column, attributes each recorded row to the source file of the same version and name, and
 * keys the table by `(package, version)`, so nothing is applied twice.
 *
 * A migration that moved to another package (its file says `-- herald:moved-from
 * ingest/004_file_grants`) keeps its history: before anything is applied, a row recording it
 * under its former package, version and name is re-recorded under its new ones (unless the new
 * one is recorded already), so a database that applied it before the move neither applies it
 * again nor loses track of it.
 *
 * @example
 * const applied = await migrate(client, { sources: [MIGRATIONS] }); // ['ingest/006_text_length_domains']
 */
export async function migrate(client: pg.ClientBase, options: MigrateOptions): Promise<string[]> {
  const schema = options.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  const migrations = loadMigrations(options.sources);
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await transaction(client, schema, () => prepareBookkeeping(client, schema, migrations));
  const applied: string[] = [];
  for (const m of migrations) {
    const id = `${m.package}/${String(m.version).padStart(3, '0')}_${m.name}`;
    try {
      await transaction(client, schema, async () => {
        const done = await client.query(
          'SELECT 1 FROM schema_migrations WHERE package = $1 AND version = $2',
          [m.package, m.version],
        );
        if (done.rowCount !== 0) return;
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (package, version, name) VALUES ($1, $2, $3)', [
          m.package,
          m.version,
          m.name,
        ]);
        applied.push(id);
      });
    } catch (error) {
      throw new Error(`migration ${id} failed: ${(error as Error).message}`, { cause: error });
    }
  }
  return applied;
}

async function transaction(client: pg.ClientBase, schema: string, work: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL search_path TO ${schema}`);
    await client.query(LOCK);
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/**
 * Creates `schema_migrations`, or upgrades one keyed by version alone, then re-records moved
 * migrations under their new package (see {@link migrate}).
 */
async function prepareBookkeeping(
  client: pg.ClientBase,
  schema: string,
  migrations: readonly Migration[],
): Promise<void> {
  await client.query(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       package text NOT NULL,
       version int NOT NULL,
       name text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (package, version)
     )`,
  );
  const keyed = await client.query(
    `SELECT 1 FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = 'schema_migrations' AND column_name = 'package'`,
    [schema],
  );
  if (keyed.rowCount === 0) await keyByPackage(client, migrations);
  for (const m of migrations) {
    for (const former of m.movedFrom) {
      await client.query(
        `UPDATE schema_migrations SET package = $1, version = $2, name = $3
          WHERE package = $4 AND version = $5 AND name = $6
            AND NOT EXISTS (SELECT 1 FROM schema_migrations WHERE package = $1 AND version = $2)`,
        [m.package, m.version, m.name, former.package, former.version, former.name],
      );
    }
  }
}

/** Upgrades a `schema_migrations` keyed by version alone to `(package, version)`. */
async function keyByPackage(client: pg.ClientBase, migrations: readonly Migration[]): Promise<void> {
  await client.query('ALTER TABLE schema_migrations ADD COLUMN package text');
  // A row is attributed to the file that has its version and name, or to the package a moved
  // file names as its former place (the move itself follows, once the table is keyed).
  const identities = migrations.flatMap((m) => [m, ...m.movedFrom]);
  for (const m of identities) {
    await client.query(
      'UPDATE schema_migrations SET package = $1 WHERE package IS NULL AND version = $2 AND name = $3',
      [m.package, m.version, m.name],
    );
  }
  const orphans = await client.query<{ version: number; name: string }>(
    'SELECT version, name FROM schema_migrations WHERE package IS NULL ORDER BY version',
  );
  if (orphans.rows.length > 0) {
    const names = orphans.rows.map((row) => `${String(row.version).padStart(3, '0')}_${row.name}`);
    throw new Error(
      `schema_migrations records ${names.join(', ')}, which no migration source given has: pass every package's migrations`,
    );
  }
  await client.query('ALTER TABLE schema_migrations ALTER COLUMN package SET NOT NULL');
  await client.query('ALTER TABLE schema_migrations DROP CONSTRAINT schema_migrations_pkey');
  await client.query('ALTER TABLE schema_migrations ADD PRIMARY KEY (package, version)');
}
