import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

/** The folder of versioned SQL migrations this package owns (`NNN_name.sql`, applied in order). */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 3)),
      name: file.slice(4, -4),
      sql: readFileSync(join(dir, file), 'utf8'),
    }));
}

export interface MigrateOptions {
  /** Schema to migrate (created if missing); tests use one schema per file. Default `public`. */
  readonly schema?: string;
  readonly migrations?: readonly Migration[];
}

/**
 * Applies pending migrations, each in its own transaction, recorded in `schema_migrations`.
 * A transaction-scoped advisory lock serialises concurrent migrators (two Lambdas at deploy,
 * two dev processes); it ends with the transaction, so it cannot leak a pinned session.
 * Returns the versions applied by this call.
 */
export async function migrate(client: pg.ClientBase, options: MigrateOptions = {}): Promise<number[]> {
  const schema = options.schema ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`invalid schema name "${schema}"`);
  const migrations = options.migrations ?? loadMigrations();
  const applied: number[] = [];
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  for (const m of migrations) {
    await client.query('BEGIN');
    try {
      await client.query(`SET LOCAL search_path TO ${schema}`);
      await client.query("SELECT pg_advisory_xact_lock(hashtext('herald.migrations'))");
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = await client.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (done.rowCount === 0) {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
          m.version,
          m.name,
        ]);
        applied.push(m.version);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw new Error(`migration ${m.version}_${m.name} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return applied;
}
