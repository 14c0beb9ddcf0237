import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type MigrationSource, migrate } from '@herald/runtime/migrations';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgGrantRepository } from '../../src/adapters/pg-grant-repository.ts';
import { MIGRATIONS, MIGRATIONS_DIR } from '../../src/migrations.ts';
import { fileStack } from './support.ts';

// The grants table moved from @herald/ingest (its migration 004) to this package (001). These
// tests take databases as ingest left them — bookkeeping keyed by (package, version), and the
// older one keyed by version alone — and run this package's migrations on them: nothing may be
// applied again, and nothing an admin changed since may be lost.

const client = new pg.Client({ connectionString: fileStack().postgres.connectionString });
let root: string;
let ingestBefore: MigrationSource;
const schemas: string[] = [];

beforeAll(async () => {
  await client.connect();
  // @herald/ingest's 004 as it shipped: the same statements, without the line that says it moved.
  root = mkdtempSync(join(tmpdir(), 'herald-files-migrations-'));
  const sql = readFileSync(join(MIGRATIONS_DIR, '001_file_grants.sql'), 'utf8');
  const before = sql
    .split('\n')
    .filter((line) => !line.startsWith('-- herald:'))
    .join('\n');
  expect(before).not.toBe(sql);
  writeFileSync(join(root, '004_file_grants.sql'), before);
  ingestBefore = { package: 'ingest', dir: root };
});

afterAll(async () => {
  for (const schema of schemas) await client.query(`DROP SCHEMA ${schema} CASCADE`);
  await client.end();
  rmSync(root, { recursive: true, force: true });
});

function schemaName(): string {
  const schema = `files_mig_${randomBytes(4).toString('hex')}`;
  schemas.push(schema);
  return schema;
}

async function recorded(schema: string): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `SELECT package || '/' || version || '_' || name AS id FROM ${schema}.schema_migrations ORDER BY 1`,
  );
  return rows.map((row) => row.id);
}

async function grants(schema: string): Promise<string[]> {
  const pool = new pg.Pool({
    connectionString: fileStack().postgres.connectionString,
    options: `-c search_path=${schema}`,
    max: 1,
  });
  try {
    const list = await new PgGrantRepository({ pool }).list();
    return list.map((grant) => `${grant.pathPrefix} → ${grant.group} (${grant.createdBy})`);
  } finally {
    await pool.end();
  }
}

/** What an admin did on the database since ingest applied 004: one seed grant gone, one added. */
async function adminChanges(schema: string): Promise<void> {
  await client.query(`DELETE FROM ${schema}.file_grants WHERE path_prefix = 'reports/'`);
  await client.query(
    `INSERT INTO ${schema}.file_grants (grant_id, path_prefix, group_name, created_by)
     VALUES ('5d1c0b6e-8f0a-4d8e-9a43-000000000010', 'finance/', 'analysts', 'admin-sub')`,
  );
}

const AFTER_ADMIN = ['finance/ → analysts (admin-sub)', 'public/ → * (migration)'];

describe('the grants migration, moved from @herald/ingest', () => {
  it('on a database where ingest applied 004: is re-recorded as files/001, not applied again, grants kept', async () => {
    const schema = schemaName();
    expect(await migrate(client, { schema, sources: [ingestBefore] })).toEqual(['ingest/004_file_grants']);
    await adminChanges(schema);

    expect(await migrate(client, { schema, sources: [MIGRATIONS] })).toEqual([]);
    expect(await recorded(schema)).toEqual(['files/1_file_grants']);
    expect(await grants(schema)).toEqual(AFTER_ADMIN);
    // And again: still nothing to do.
    expect(await migrate(client, { schema, sources: [MIGRATIONS] })).toEqual([]);
    expect(await grants(schema)).toEqual(AFTER_ADMIN);
  });

  it('on a database whose bookkeeping predates packages (keyed by version): the same', async () => {
    const schema = schemaName();
    await migrate(client, { schema, sources: [ingestBefore] });
    await adminChanges(schema);
    // The runner's bookkeeping before migrations had packages: `version` is the key.
    await client.query(`ALTER TABLE ${schema}.schema_migrations DROP CONSTRAINT schema_migrations_pkey`);
    await client.query(`ALTER TABLE ${schema}.schema_migrations DROP COLUMN package`);
    await client.query(`ALTER TABLE ${schema}.schema_migrations ADD PRIMARY KEY (version)`);

    expect(await migrate(client, { schema, sources: [MIGRATIONS] })).toEqual([]);
    expect(await recorded(schema)).toEqual(['files/1_file_grants']);
    expect(await grants(schema)).toEqual(AFTER_ADMIN);
  });

  it('on a new database: creates the table with its two seed grants', async () => {
    const schema = schemaName();
    expect(await migrate(client, { schema, sources: [MIGRATIONS] })).toEqual(['files/001_file_grants']);
    expect(await grants(schema)).toEqual(['public/ → * (migration)', 'reports/ → analysts (migration)']);
  });
});
