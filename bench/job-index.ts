// `pnpm bench job-index [--rows N] [--rounds N] [--jobs N]`
//
// What the index on `_job_id` costs a load, and what it buys a lookup, in ONE run on ONE embedded
// PostgreSQL 18 (contenders alternated round by round; on 2 cores only ratios within a run are
// fair). Each dataset table carries `_job_id` (the job that wrote the row); nothing in Herald's
// request path reads it — operators do ("which rows did job X load", "delete job X's rows").
//   load:   raw `COPY … FROM STDIN (FORMAT csv)` of the same transactions file into the table with
//           (a) no index on _job_id, (b) a B-tree, (c) BRIN minmax, (d) BRIN minmax-multi;
//   lookup: the same tables holding `--jobs` jobs of rows/jobs rows each, written one job after
//           another (as COPY writes them): `count(*) WHERE _job_id = <job>` for every job, the
//           median time and buffers, and each index's size.

import { randomUUID } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { from as copyFrom } from 'pg-copy-streams';
import { TRANSACTIONS } from '../packages/ingest/tests/support/sample-datasets.ts';
import { generateTransactionsCsv } from './_csv-gen.ts';
import { withBenchDatabase, writeBenchResult } from './_pg-bench.ts';

const { values: options } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    jobs: { type: 'string', default: '40' },
  },
});
const ROWS = Number(options.rows);
const ROUNDS = Math.max(2, Number(options.rounds));
const JOBS = Math.max(2, Number(options.jobs));
const say = (line: string) => process.stderr.write(`[bench job-index] ${line}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

const INDEXES = {
  none: undefined,
  btree: 'USING btree (_job_id)',
  brin: 'USING brin (_job_id)',
  brinMulti: 'USING brin (_job_id uuid_minmax_multi_ops)',
} as const;
type Kind = keyof typeof INDEXES;
const KINDS = Object.keys(INDEXES) as Kind[];

async function main(): Promise<void> {
  await withBenchDatabase('job-index', async (db, tmp) => {
    // Herald's table (domains, defaults) without its own index; each contender adds its own.
    for (const kind of KINDS) {
      await db.query(`CREATE TABLE tx_${kind} (LIKE transactions INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
      const index = INDEXES[kind];
      if (index) await db.query(`CREATE INDEX tx_${kind}_job_id ON tx_${kind} ${index}`);
    }
    const columns = TRANSACTIONS.columns.map((c) => c.name).join(', ');
    const file = join(tmp, 'transactions.csv');
    const bytes = await generateTransactionsCsv(file, ROWS);
    say(`${fmt(ROWS)} rows, ${(bytes / 1e6).toFixed(1)} MB`);

    /** One COPY of `path` into `table` as job `jobId`, in its own transaction; ms. */
    const copy = async (table: string, path: string, jobId: string): Promise<number> => {
      const started = performance.now();
      await db.query('BEGIN');
      await db.query("SELECT set_config('herald.job_id', $1, true)", [jobId]);
      await pipeline(
        createReadStream(path, { highWaterMark: 1024 * 1024 }),
        db.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN (FORMAT csv, HEADER true)`)),
      );
      await db.query('COMMIT');
      return performance.now() - started;
    };

    // --- load ----------------------------------------------------------------------------------
    const loads: Record<Kind, number[]> = { none: [], btree: [], brin: [], brinMulti: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of round % 2 === 0 ? KINDS : [...KINDS].reverse()) {
        await db.query(`TRUNCATE tx_${kind}`);
        await db.query('CHECKPOINT');
        const ms = await copy(`tx_${kind}`, file, randomUUID());
        loads[kind].push(ms);
        say(`round ${round + 1}/${ROUNDS} ${kind}: ${fmt(ms)} ms (${fmt(ROWS / (ms / 1000))} rows/s)`);
      }
    }

    // --- lookup: JOBS jobs of ROWS/JOBS rows each, written one after another ----------------------
    const part = join(tmp, 'part.csv');
    await generateTransactionsCsv(part, Math.floor(ROWS / JOBS), 99);
    const jobs = Array.from({ length: JOBS }, () => randomUUID());
    for (const kind of KINDS) {
      await db.query(`TRUNCATE tx_${kind}`);
      for (const jobId of jobs) await copy(`tx_${kind}`, part, jobId);
      await db.query(`VACUUM ANALYZE tx_${kind}`);
    }
    const lookups: Record<Kind, { ms: number; buffers: number }[]> = {
      none: [],
      btree: [],
      brin: [],
      brinMulti: [],
    };
    for (const jobId of jobs) {
      for (const kind of KINDS) {
        const { rows } = await db.query(
          `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT count(*) FROM tx_${kind} WHERE _job_id = $1`,
          [jobId],
        );
        const plan = (
          rows[0] as { 'QUERY PLAN': [{ Plan: Record<string, number>; 'Execution Time': number }] }
        )['QUERY PLAN'][0];
        lookups[kind].push({
          ms: plan['Execution Time'],
          buffers: (plan.Plan['Shared Hit Blocks'] ?? 0) + (plan.Plan['Shared Read Blocks'] ?? 0),
        });
      }
    }
    const sizes: Record<string, number> = {};
    for (const kind of KINDS) {
      const { rows } = await db.query(
        'SELECT coalesce(sum(pg_relation_size(indexrelid)), 0)::bigint AS b FROM pg_index WHERE indrelid = $1::regclass',
        [`tx_${kind}`],
      );
      sizes[kind] = Number((rows[0] as { b: string }).b);
    }

    // --- report ----------------------------------------------------------------------------------
    const none = median(loads.none);
    const report = Object.fromEntries(
      KINDS.map((kind) => [
        kind,
        {
          loadMsMedian: Math.round(median(loads[kind])),
          loadVsNoIndex: Math.round((median(loads[kind]) / none) * 1000) / 1000,
          lookupMsMedian: Math.round(median(lookups[kind].map((l) => l.ms)) * 100) / 100,
          lookupBuffersMedian: median(lookups[kind].map((l) => l.buffers)),
          indexBytes: sizes[kind],
        },
      ]),
    );
    const lines = [
      '',
      `_job_id index: ${fmt(ROWS)} rows (${(bytes / 1e6).toFixed(1)} MB) loaded ${ROUNDS}× per contender; lookups over ${JOBS} jobs of ${fmt(ROWS / JOBS)} rows`,
      `${'index'.padEnd(12)}${'load ms'.padStart(10)}${'× none'.padStart(9)}${'lookup ms'.padStart(12)}${'buffers'.padStart(10)}${'index size'.padStart(14)}`,
      ...KINDS.map((kind) => {
        const r = report[kind] as Record<string, number>;
        return `${kind.padEnd(12)}${fmt(r.loadMsMedian ?? 0).padStart(10)}${(r.loadVsNoIndex ?? 0).toFixed(2).padStart(9)}${String(r.lookupMsMedian).padStart(12)}${fmt(r.lookupBuffersMedian ?? 0).padStart(10)}${`${fmt((r.indexBytes ?? 0) / 1024)} KiB`.padStart(14)}`;
      }),
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    writeBenchResult('job-index', {
      rows: ROWS,
      bytes: statSync(file).size,
      rounds: ROUNDS,
      jobs: JOBS,
      contenders: report,
    });
  });
}

await main();
