import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, type MigrationSource, migrate } from '../../src/migrations.ts';
import { postgresUrl } from './support.ts';

// The runner against the run's real PostgreSQL, one schema per test, on SQL files written here.
let root: string;
let client: pg.Client;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'herald-migrations-'));
  client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
});

afterAll(async () => {
  await client.end();
  rmSync(root, { recursive: true, force: true });
});

/** A package's migration folder holding `files` (name → SQL). */
function source(name: string, files: Record<string, string>): MigrationSource {
  const dir = join(root, `${name}-${randomBytes(3).toString('hex')}`);
  mkdirSync(dir);
  for (const [file, sql] of Object.entries(files)) writeFileSync(join(dir, file), sql);
  return { package: name, dir };
}

const schemaName = () => `migrations_${randomBytes(4).toString('hex')}`;

async function recorded(schema: string): Promise<string[]> {
  const { rows } = await client.query<{ package: string; version: number; name: string }>(
    `SELECT package, version, name FROM ${schema}.schema_migrations ORDER BY applied_at, package, version`,
  );
  return rows.map((r) => `${r.package}/${r.version}/${r.name}`);
}

describe('migrate', () => {
  it('applies the sources in package order, each in version order, keyed by package and version', async () => {
    const schema = schemaName();
    const first = source('first', {
      '002_more.sql': 'INSERT INTO log VALUES (2)',
      '001_log.sql': 'CREATE TABLE log (n int)',
      'notes.txt': 'not a migration',
    });
    // The same version numbers in another package: both apply.
    const second = source('second', { '001_after.sql': 'INSERT INTO log VALUES (3)' });
    expect(await migrate(client, { schema, sources: [first, second] })).toEqual([
      'first/001_log',
      'first/002_more',
      'second/001_after',
    ]);
    expect((await client.query(`SELECT n FROM ${schema}.log ORDER BY n`)).rows).toEqual([{ n: 2 }, { n: 3 }]);
    expect(await recorded(schema)).toEqual(['first/1/log', 'first/2/more', 'second/1/after']);
    // Again: nothing left to apply.
    expect(await migrate(client, { schema, sources: [first, second] })).toEqual([]);
  });

  it('rolls back a failing migration, names it, and keeps what was applied before it', async () => {
    const schema = schemaName();
    const broken = source('broken', {
      '001_ok.sql': 'CREATE TABLE ok (n int)',
      '002_bad.sql': 'CREATE TABLE bad (n int); SELECT no_such_function()',
    });
    await expect(migrate(client, { schema, sources: [broken] })).rejects.toThrow(
      /^migration broken\/002_bad failed: /,
    );
    expect(await recorded(schema)).toEqual(['broken/1/ok']);
    const { rowCount } = await client.query(
      "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'bad'",
      [schema],
    );
    expect(rowCount).toBe(0);
  });

  it('upgrades bookkeeping keyed by version alone: recorded files are not applied again', async () => {
    const schema = schemaName();
    const ingest = source('ingest', {
      '001_jobs.sql': 'CREATE TABLE jobs (n int)',
      '002_seed.sql': 'INSERT INTO jobs VALUES (1)',
      '003_new.sql': 'INSERT INTO jobs VALUES (3)',
    });
    // A database migrated by the runner before migrations had packages (only ingest had them).
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET search_path TO ${schema}`);
    await client.query(
      'CREATE TABLE schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    for (const m of loadMigrations([ingest]).slice(0, 2)) {
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
        m.version,
        m.name,
      ]);
    }
    await client.query('SET search_path TO public');
    const files = source('files', { '001_grants.sql': 'CREATE TABLE grants (n int)' });
    expect(await migrate(client, { schema, sources: [ingest, files] })).toEqual([
      'ingest/003_new',
      'files/001_grants',
    ]);
    expect((await client.query(`SELECT n FROM ${schema}.jobs ORDER BY n`)).rows).toEqual([
      { n: 1 },
      { n: 3 },
    ]);
    expect(await recorded(schema)).toEqual([
      'ingest/1/jobs',
      'ingest/2/seed',
      'ingest/3/new',
      'files/1/grants',
    ]);
    const key = await client.query<{ column: string }>(
      `SELECT a.attname AS column FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = '${schema}.schema_migrations'::regclass AND i.indisprimary ORDER BY a.attname`,
    );
    expect(key.rows.map((r) => r.column)).toEqual(['package', 'version']);
  });

  it('refuses to upgrade bookkeeping that records a migration no source given has', async () => {
    const schema = schemaName();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(
      `CREATE TABLE ${schema}.schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    await client.query(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES (7, 'lost')`);
    const other = source('other', { '001_x.sql': 'SELECT 1' });
    await expect(migrate(client, { schema, sources: [other] })).rejects.toThrow(/007_lost/);
    const { rowCount } = await client.query(
      "SELECT 1 FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'schema_migrations' AND column_name = 'package'",
      [schema],
    );
    expect(rowCount).toBe(0); // rolled back: the table is as it was
  });

  it('re-records a migration that moved to another package: applied before the move, not applied again', async () => {
    const schema = schemaName();
    const table = 'CREATE TABLE grants (n int);\nINSERT INTO grants VALUES (1);\n';
    const before = source('ingest', {
      '001_jobs.sql': 'CREATE TABLE jobs (n int)',
      '002_grants.sql': table,
    });
    await migrate(client, { schema, sources: [before] });
    await client.query(`DELETE FROM ${schema}.grants`); // data written since, that a re-run would undo
    const ingest = source('ingest', { '001_jobs.sql': 'CREATE TABLE jobs (n int)' });
    const files = source('files', {
      '001_grants.sql': `-- herald:moved-from ingest/002_grants\n${table}`,
      '002_more.sql': 'ALTER TABLE grants ADD COLUMN m int',
    });
    expect(await migrate(client, { schema, sources: [ingest, files] })).toEqual(['files/002_more']);
    expect(await recorded(schema)).toEqual(['ingest/1/jobs', 'files/1/grants', 'files/2/more']);
    expect((await client.query(`SELECT n FROM ${schema}.grants`)).rows).toEqual([]);
    // A fresh database applies the moved file like any other.
    const fresh = schemaName();
    expect(await migrate(client, { schema: fresh, sources: [ingest, files] })).toEqual([
      'ingest/001_jobs',
      'files/001_grants',
      'files/002_more',
    ]);
  });

  it('moves a migration recorded in bookkeeping keyed by version alone (before packages)', async () => {
    const schema = schemaName();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(
      `CREATE TABLE ${schema}.schema_migrations (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    await client.query(`CREATE TABLE ${schema}.jobs (n int)`);
    await client.query(`CREATE TABLE ${schema}.grants (n int)`);
    await client.query(
      `INSERT INTO ${schema}.schema_migrations (version, name) VALUES (1, 'jobs'), (2, 'grants')`,
    );
    const ingest = source('ingest', { '001_jobs.sql': 'CREATE TABLE jobs (n int)' });
    const files = source('files', {
      '001_grants.sql': '-- herald:moved-from ingest/002_grants\nCREATE TABLE grants (n int)',
    });
    expect(await migrate(client, { schema, sources: [ingest, files] })).toEqual([]);
    expect((await recorded(schema)).sort()).toEqual(['files/1/grants', 'ingest/1/jobs']);
  });

  it('leaves the former row alone when the new package already recorded the migration', async () => {
    const schema = schemaName();
    const files = source('files', { '001_grants.sql': 'CREATE TABLE grants (n int)' });
    await migrate(client, { schema, sources: [files] });
    await client.query(
      `INSERT INTO ${schema}.schema_migrations (package, version, name) VALUES ('ingest', 2, 'grants')`,
    );
    const moved = source('files', {
      '001_grants.sql': '-- herald:moved-from ingest/002_grants\nCREATE TABLE grants (n int)',
    });
    expect(await migrate(client, { schema, sources: [moved] })).toEqual([]);
    expect((await recorded(schema)).sort()).toEqual(['files/1/grants', 'ingest/2/grants']);
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(migrate(client, { schema: 'x; DROP TABLE y', sources: [] })).rejects.toThrow(
      /invalid schema name/,
    );
  });
});
