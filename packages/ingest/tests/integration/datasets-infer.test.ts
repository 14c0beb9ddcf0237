import { randomUUID } from 'node:crypto';
import { migrate } from '@herald/runtime/migrations';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadCsv } from '../../src/adapters/pg-csv-loader.ts';
import { type DatasetDefinition, planMigration } from '../../src/datasets/index.ts';
import { inferDataset } from '../../src/datasets/infer.ts';
import { inferenceSample } from '../support/inference-samples.ts';
import { SAMPLE_DATASETS, SAMPLE_MIGRATIONS } from '../support/sample-datasets.ts';

// Inference is only useful if what it proposes loads the file it looked at: each generated
// sample (every type, empties, quoted fields, a BOM, CRLF) is inferred, its table created by the
// migration the planner writes for it, and the same bytes loaded by the real loader.

const { postgres } = inject('stack' as never) as { postgres: { connectionString: string } };
const schema = `t_infer_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
const client = new pg.Client({ connectionString: postgres.connectionString });
const applied: DatasetDefinition[] = [...SAMPLE_DATASETS];

async function* chunks(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

beforeAll(async () => {
  await client.connect();
  await migrate(client, { schema, sources: SAMPLE_MIGRATIONS });
  await client.query(`SET search_path TO ${schema}`);
});
afterAll(async () => {
  await client.query(`DROP SCHEMA ${schema} CASCADE`);
  await client.end();
});

describe('an inferred declaration loads the sample it was inferred from', () => {
  it.each([
    ['LF', {}],
    ['a BOM', { bom: true }],
    ['CRLF', { crlf: true }],
    ['a BOM and CRLF', { bom: true, crlf: true }],
  ])('with %s', async (label, options) => {
    const { text, rows } = inferenceSample(500, { ...options, seed: label.length });
    const name = `inferred_${randomUUID().replaceAll('-', '').slice(0, 8)}`;
    const result = await inferDataset(chunks(text, 1000), { name });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    // What this schema holds so far (earlier cases' domains exist already).
    const plan = planMigration(applied, [...applied, result.dataset]);
    expect(plan.refused).toEqual([]);
    for (const statement of plan.statements) await client.query(statement);
    applied.push(result.dataset);

    const jobId = randomUUID();
    await client.query('BEGIN');
    try {
      const outcome = await loadCsv(client, { jobId, dataset: result.dataset, source: chunks(text, 777) });
      expect(outcome).toMatchObject({ ok: true, rowsLoaded: rows, rowsRejected: 0 });
      const { rows: loaded } = await client.query(
        `SELECT count(*)::int AS n, count(paid)::int AS paid, count(rate)::int AS rate,
                bool_or(comment LIKE E'%\\n%') AS multiline, min(big_count)::text AS big
         FROM ${name} WHERE _job_id = $1`,
        [jobId],
      );
      expect(loaded[0]).toMatchObject({ n: rows, paid: rows, multiline: true });
      expect(loaded[0].rate).toBeLessThan(rows);
      expect(BigInt(loaded[0].big)).toBeGreaterThan(2n ** 31n);
    } finally {
      await client.query('ROLLBACK');
    }
  });
});
