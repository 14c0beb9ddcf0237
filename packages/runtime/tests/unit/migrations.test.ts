import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMigrations, type MigrationSource } from '../../src/migrations.ts';

const root = mkdtempSync(join(tmpdir(), 'herald-load-migrations-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let folders = 0;
function source(name: string, files: Record<string, string>): MigrationSource {
  const dir = join(root, `${name}-${++folders}`);
  mkdirSync(dir);
  for (const [file, sql] of Object.entries(files)) writeFileSync(join(dir, file), sql);
  return { package: name, dir };
}

describe('loadMigrations', () => {
  it('reads NNN_name.sql files in version order, each with its package, version and name', () => {
    const files = source('files', { '002_b.sql': 'SELECT 2', '001_a.sql': 'SELECT 1', 'README.md': '-' });
    expect(loadMigrations([files])).toEqual([
      { package: 'files', version: 1, name: 'a', sql: 'SELECT 1', movedFrom: [] },
      { package: 'files', version: 2, name: 'b', sql: 'SELECT 2', movedFrom: [] },
    ]);
  });

  it('reads where a migration was recorded before it moved, from its -- herald:moved-from lines', () => {
    const sql =
      '-- The grants table.\n-- herald:moved-from ingest/004_file_grants\nCREATE TABLE g (n int);\n';
    const [grants] = loadMigrations([source('files', { '001_file_grants.sql': sql })]);
    expect(grants?.movedFrom).toEqual([{ package: 'ingest', version: 4, name: 'file_grants' }]);
    expect(grants?.sql).toBe(sql);
  });

  it('refuses a runner directive it does not understand, naming the file', () => {
    for (const line of ['-- herald:moved-from ingest/4_file_grants', '-- herald:movedfrom ingest/004_x']) {
      const bad = source('files', { '001_x.sql': `${line}\nSELECT 1` });
      expect(() => loadMigrations([bad]), line).toThrow(/001_x\.sql: .* is not a runner directive/);
    }
  });
});
