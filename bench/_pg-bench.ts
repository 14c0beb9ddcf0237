import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SAMPLE_MIGRATIONS } from '../packages/ingest/tests/support/sample-datasets.ts';
import { startPostgres } from '../packages/local/src/postgres.ts';
import { migrate } from '../packages/runtime/src/migrations.ts';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results');

/**
 * Runs `body` against a throwaway embedded PostgreSQL whose `bench` schema holds the sample
 * datasets' tables (search_path set on `db`); then stops it and removes its folder, `tmp` too.
 *
 * @example
 * await withBenchDatabase('job-index', async (db, tmp) => { await db.query('SELECT 1'); });
 */
export async function withBenchDatabase(
  name: string,
  body: (db: pg.Client, tmp: string) => Promise<void>,
): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), `herald-bench-${name}-`));
  const postgres = await startPostgres({ dataDir: join(tmp, 'pg') });
  const db = new pg.Client({ connectionString: postgres.connectionString });
  try {
    await db.connect();
    await migrate(db, { schema: 'bench', sources: SAMPLE_MIGRATIONS });
    await db.query('SET search_path TO bench');
    await body(db, tmp);
  } finally {
    await db.end().catch(() => {});
    await postgres.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Writes `bench/results/<name>.json`: when and on what it was measured, then `fields`.
 *
 * @example
 * writeBenchResult('job-index', { rows: 1_000_000, contenders: report });
 */
export function writeBenchResult(name: string, fields: Record<string, unknown>): void {
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version };
  const document = { measuredAt: new Date().toISOString(), machine, ...fields };
  writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify(document, null, 2)}\n`);
}
