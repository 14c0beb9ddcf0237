// `pnpm bench ingest [--rows N] [--rounds N] [--json] [--skip-1gb] [--rows-1gb N]`
//
// Workflow 1's load path against PostgreSQL's own raw COPY, in ONE run on ONE embedded
// PostgreSQL 18, alternating the contenders round by round (on 2 cores the load competes with
// what it measures, so only ratios within one run are fair):
//   (a) raw `COPY transactions_raw FROM STDIN (FORMAT csv, HEADER true)` of the file into a table
//       identical to `transactions` (LIKE … INCLUDING ALL: same columns, types, rules, index,
//       _job_id default), fed from the local file AND from the same S3 object as (b); the faster
//       of the two is the baseline. Also from the file into a PLAIN typed table — the floor: the
//       same column types without domains, no _job_id, no index but a declared key — for
//       `ratioVsPlain` (Herald's full path from the S3 object against it);
//   (b) Herald: the S3 object (s3rver, GetObject body: the worker's real path) → loadCsv inside
//       BEGIN/COMMIT; also from the local file, to separate the S3 hop from the loader; and a dry
//       run of the same object (validates everything, loads nothing), against the load;
//   (c) (b) on a ~1 GB file, for the loader process's peak RSS;
//   (d) a `customers` upsert against its own raw baseline (COPY to staging + INSERT … ON CONFLICT).
// Every load runs in a child process (bench/_ingest-child.ts) whose peak RSS is its own
// (getrusage maxrss, cross-checked by sampling /proc/<pid>/status). Generated files are deleted.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  createReadStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import {
  CUSTOMERS,
  SAMPLE_MIGRATIONS,
  TRANSACTIONS,
} from '../packages/ingest/tests/support/sample-datasets.ts';
import { startPostgres } from '../packages/local/src/postgres.ts';
import { startS3 } from '../packages/local/src/s3.ts';
import { migrate } from '../packages/runtime/src/migrations.ts';
import { generateCustomersCsv, generateTransactionsCsv } from './_csv-gen.ts';
import type { ChildResult, ChildTask } from './_ingest-child.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values: options } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
    'skip-1gb': { type: 'boolean', default: false },
    'rows-1gb': { type: 'string', default: '8500000' },
  },
});
const ROWS = Number(options.rows);
const ROUNDS = Math.max(2, Number(options.rounds));
const ROWS_1GB = Number(options['rows-1gb']);
const SCHEMA = 'bench';
const BUCKET = 'bench';

const say = (line: string) => process.stderr.write(`[bench ingest] ${line}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

interface Run extends ChildResult {
  readonly rowsPerSec: number;
  readonly sampledPeakRssMb: number;
}

/** Runs one load in a child process, sampling its RSS from /proc while it runs. */
async function measure(task: ChildTask): Promise<Run> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, '_ingest-child.ts'), JSON.stringify(task)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let sampled = 0;
  const timer = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      sampled = Math.max(sampled, kb / 1024);
    } catch {
      // the child has exited
    }
  }, 50);
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`${task.kind} load failed (exit ${code})`);
  const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as ChildResult;
  return {
    ...result,
    rowsPerSec: result.rows / (result.ms / 1000),
    sampledPeakRssMb: Math.round(sampled * 10) / 10,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

interface Variant {
  readonly name: string;
  readonly label: string;
  readonly prepare: () => Promise<void>;
  readonly task: () => ChildTask;
  readonly verify: () => Promise<void>;
  readonly runs: Run[];
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'herald-bench-ingest-'));
  const stops: (() => Promise<void>)[] = [];
  try {
    say(`starting PostgreSQL and s3rver in ${tmp}`);
    const postgres = await startPostgres({ dataDir: join(tmp, 'pg') });
    stops.push(() => postgres.stop());
    const s3server = await startS3({ dataDir: join(tmp, 's3'), buckets: [{ name: BUCKET }] });
    stops.push(() => s3server.stop());
    const s3 = new S3Client({
      endpoint: s3server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const db = new pg.Client({ connectionString: postgres.connectionString });
    await db.connect();
    stops.push(() => db.end());
    await migrate(db, { schema: SCHEMA, sources: SAMPLE_MIGRATIONS });
    await db.query(`SET search_path TO ${SCHEMA}`);
    // The raw baselines' tables: identical to the datasets' (LIKE … INCLUDING ALL copies types,
    // domains, defaults, constraints and indexes) and, for contrast, one without the rules.
    await db.query('CREATE TABLE transactions_raw (LIKE transactions INCLUDING ALL)');
    // The floor: the declaration's column types as plain types (numeric(12,2), text, …), NOT NULL
    // where required, a primary key only if one is declared; no domains, no _job_id, no index.
    const plainType = (c: (typeof TRANSACTIONS.columns)[number]) =>
      c.type.kind === 'numeric' ? `numeric(${c.type.precision},${c.type.scale})` : c.type.kind;
    await db.query(
      `CREATE TABLE transactions_plain (${[
        ...TRANSACTIONS.columns.map((c) => `${c.name} ${plainType(c)}${c.required ? ' NOT NULL' : ''}`),
        ...(TRANSACTIONS.key.length > 0 ? [`PRIMARY KEY (${TRANSACTIONS.key.join(', ')})`] : []),
      ].join(', ')})`,
    );
    await db.query('CREATE TABLE customers_raw (LIKE customers INCLUDING ALL)');

    const put = async (key: string, file: string) => {
      await s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: key,
          Body: createReadStream(file),
          ContentLength: statSync(file).size,
        }),
      );
    };
    const base = { connectionString: postgres.connectionString, schema: SCHEMA };
    const truncate = (table: string) => async () => {
      await db.query(`TRUNCATE ${table}`);
      // Every run starts after a checkpoint, so none pays for another's dirty pages.
      await db.query('CHECKPOINT');
    };
    const expectRows = (table: string, rows: number) => async () => {
      const { rows: found } = await db.query(`SELECT count(*)::bigint AS n FROM ${table}`);
      const n = Number((found[0] as { n: string }).n);
      if (n !== rows) throw new Error(`${table} has ${n} rows, expected ${rows}`);
    };

    // --- (a) and (b): transactions, append -------------------------------------------------
    const txFile = join(tmp, 'transactions.csv');
    say(`generating ${fmt(ROWS)} transactions rows`);
    const txBytes = await generateTransactionsCsv(txFile, ROWS);
    await put('uploads/bench/transactions.csv', txFile);
    const txColumns = TRANSACTIONS.columns.map((c) => c.name);
    // What a loader process weighs before it loads anything (Node, tsx, pg, the AWS SDK, an S3
    // GET): the floor under every peak RSS below.
    const idle = await measure({
      ...base,
      kind: 'idle',
      jobId: randomUUID(),
      table: 'transactions',
      columns: txColumns,
      s3: { endpoint: s3server.endpoint, bucket: BUCKET, key: 'uploads/bench/transactions.csv' },
    });
    say(`idle loader process (imports, connection, S3 GET): peak RSS ${idle.maxRssMb} MB`);
    const variants: Variant[] = [
      {
        name: 'raw',
        label: 'raw COPY ← file → identical table',
        prepare: truncate('transactions_raw'),
        task: () => ({
          ...base,
          kind: 'raw',
          jobId: randomUUID(),
          table: 'transactions_raw',
          columns: txColumns,
          file: txFile,
        }),
        verify: expectRows('transactions_raw', ROWS),
        runs: [],
      },
      {
        name: 'rawS3',
        label: 'raw COPY ← S3 object → identical table',
        prepare: truncate('transactions_raw'),
        task: () => ({
          ...base,
          kind: 'raw',
          jobId: randomUUID(),
          table: 'transactions_raw',
          columns: txColumns,
          s3: { endpoint: s3server.endpoint, bucket: BUCKET, key: 'uploads/bench/transactions.csv' },
        }),
        verify: expectRows('transactions_raw', ROWS),
        runs: [],
      },
      {
        name: 'herald',
        label: 'herald: S3 object → loadCsv',
        prepare: truncate('transactions'),
        task: () => ({
          ...base,
          kind: 'herald',
          jobId: randomUUID(),
          table: 'transactions',
          columns: txColumns,
          s3: { endpoint: s3server.endpoint, bucket: BUCKET, key: 'uploads/bench/transactions.csv' },
        }),
        verify: expectRows('transactions', ROWS),
        runs: [],
      },
      {
        name: 'plain',
        label: 'raw COPY ← file → plain typed table (floor)',
        prepare: truncate('transactions_plain'),
        task: () => ({
          ...base,
          kind: 'raw',
          jobId: randomUUID(),
          table: 'transactions_plain',
          columns: txColumns,
          file: txFile,
        }),
        verify: expectRows('transactions_plain', ROWS),
        runs: [],
      },
      {
        name: 'heraldDryRun',
        label: 'herald dry run: S3 object → loadCsv',
        prepare: truncate('transactions'),
        task: () => ({
          ...base,
          kind: 'herald',
          dryRun: true,
          jobId: randomUUID(),
          table: 'transactions',
          columns: txColumns,
          s3: { endpoint: s3server.endpoint, bucket: BUCKET, key: 'uploads/bench/transactions.csv' },
        }),
        // A dry run loads nothing.
        verify: expectRows('transactions', 0),
        runs: [],
      },
      {
        name: 'heraldFile',
        label: 'herald: file → loadCsv',
        prepare: truncate('transactions'),
        task: () => ({
          ...base,
          kind: 'herald',
          jobId: randomUUID(),
          table: 'transactions',
          columns: txColumns,
          file: txFile,
        }),
        verify: expectRows('transactions', ROWS),
        runs: [],
      },
    ];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order so neither contender always runs right after the other.
      const order = round % 2 === 0 ? variants : [...variants].reverse();
      for (const variant of order) {
        await variant.prepare();
        const run = await measure(variant.task());
        await variant.verify();
        variant.runs.push(run);
        say(
          `round ${round + 1}/${ROUNDS} ${variant.label}: ${fmt(run.rowsPerSec)} rows/s, ` +
            `CPU pg ${run.pgCpuMs} ms node ${run.nodeCpuMs} ms, peak RSS ${run.maxRssMb} MB`,
        );
      }
    }
    rmSync(txFile);
    await truncate('transactions')();
    await truncate('transactions_raw')();
    await truncate('transactions_plain')();

    // --- (d): customers, upsert (half the keys exist already: half inserts, half updates) ----
    const cuFile = join(tmp, 'customers.csv');
    say(`generating ${fmt(ROWS)} customers rows`);
    await generateCustomersCsv(cuFile, ROWS);
    await put('uploads/bench/customers.csv', cuFile);
    const cuColumns = CUSTOMERS.columns.map((c) => c.name);
    await db.query('CREATE TABLE customers_seed (LIKE customers INCLUDING DEFAULTS)');
    await db.query('BEGIN');
    await db.query("SELECT set_config('herald.job_id', $1, true)", [randomUUID()]);
    await pipeline(
      createReadStream(cuFile),
      db.query(
        copyFrom(`COPY customers_seed (${cuColumns.join(', ')}) FROM STDIN (FORMAT csv, HEADER true)`),
      ),
    );
    // external_id starts with the row index in hex: keep the even rows.
    await db.query(
      "DELETE FROM customers_seed WHERE ('x' || substr(external_id::text, 1, 8))::bit(32)::int % 2 = 1",
    );
    await db.query('COMMIT');
    const seeded = (table: string) => async () => {
      await db.query(`TRUNCATE ${table}`);
      await db.query(`INSERT INTO ${table} SELECT * FROM customers_seed`);
      await db.query(`VACUUM ANALYZE ${table}`);
      await db.query('CHECKPOINT');
    };
    const upserts: Variant[] = [
      {
        name: 'rawUpsert',
        label: 'raw: COPY staging + INSERT ON CONFLICT',
        prepare: seeded('customers_raw'),
        task: () => ({
          ...base,
          kind: 'raw-upsert',
          jobId: randomUUID(),
          table: 'customers_raw',
          columns: cuColumns,
          key: CUSTOMERS.key,
          file: cuFile,
        }),
        verify: expectRows('customers_raw', ROWS),
        runs: [],
      },
      {
        name: 'heraldUpsert',
        label: 'herald: S3 object → loadCsv (upsert)',
        prepare: seeded('customers'),
        task: () => ({
          ...base,
          kind: 'herald',
          jobId: randomUUID(),
          table: 'customers',
          columns: cuColumns,
          s3: { endpoint: s3server.endpoint, bucket: BUCKET, key: 'uploads/bench/customers.csv' },
        }),
        verify: expectRows('customers', ROWS),
        runs: [],
      },
    ];
    for (let round = 0; round < 2; round++) {
      for (const variant of round % 2 === 0 ? upserts : [...upserts].reverse()) {
        await variant.prepare();
        const run = await measure(variant.task());
        await variant.verify();
        variant.runs.push(run);
        say(
          `upsert round ${round + 1}/2 ${variant.label}: ${fmt(run.rowsPerSec)} rows/s, ` +
            `CPU pg ${run.pgCpuMs} ms node ${run.nodeCpuMs} ms`,
        );
      }
    }
    rmSync(cuFile);
    await db.query('TRUNCATE customers, customers_raw, customers_seed');

    // --- (c): ~1 GB through the full path, for peak RSS ----------------------------------------
    let oneGb: { rows: number; bytes: number; run: Run } | undefined;
    if (!options['skip-1gb']) {
      const bigFile = join(tmp, 'transactions-1gb.csv');
      say(`generating ${fmt(ROWS_1GB)} transactions rows (~1 GB)`);
      const bytes = await generateTransactionsCsv(bigFile, ROWS_1GB, 4242);
      await put('uploads/bench/transactions-1gb.csv', bigFile);
      rmSync(bigFile);
      await truncate('transactions')();
      const run = await measure({
        ...base,
        kind: 'herald',
        jobId: randomUUID(),
        table: 'transactions',
        columns: txColumns,
        s3: { endpoint: s3server.endpoint, bucket: BUCKET, key: 'uploads/bench/transactions-1gb.csv' },
      });
      await expectRows('transactions', ROWS_1GB)();
      oneGb = { rows: ROWS_1GB, bytes, run };
      say(`1 GB: ${fmt(run.rowsPerSec)} rows/s, peak RSS ${run.maxRssMb} MB`);
      await truncate('transactions')();
    }

    // --- report ---------------------------------------------------------------------------------
    const stats = (v: Variant) => ({
      label: v.label,
      runs: v.runs,
      medianRowsPerSec: Math.round(median(v.runs.map((r) => r.rowsPerSec))),
      bestRowsPerSec: Math.round(Math.max(...v.runs.map((r) => r.rowsPerSec))),
      medianPgCpuMs: Math.round(median(v.runs.map((r) => r.pgCpuMs ?? Number.NaN))),
      medianNodeCpuMs: Math.round(median(v.runs.map((r) => r.nodeCpuMs))),
      peakRssMb: Math.max(...v.runs.map((r) => r.maxRssMb)),
    });
    const s = Object.fromEntries([...variants, ...upserts].map((v) => [v.name, stats(v)]));
    const get = (name: string) => {
      const found = s[name];
      if (!found) throw new Error(`no contender ${name}`);
      return found;
    };
    // The baseline is the FASTER raw COPY (from the file or from the same S3 object): Herald is
    // never flattered by a slow source.
    const raw =
      [get('raw'), get('rawS3')].sort((a, b) => b.medianRowsPerSec - a.medianRowsPerSec)[0] ?? get('raw');
    const herald = get('herald');
    const ratio = herald.medianRowsPerSec / raw.medianRowsPerSec;
    const r3 = (n: number) => Math.round(n * 1000) / 1000;
    const ratioVsPlain = herald.medianRowsPerSec / get('plain').medianRowsPerSec;
    const dryRunVsLoad = get('heraldDryRun').medianRowsPerSec / herald.medianRowsPerSec;
    const rawUpsert = get('rawUpsert');
    const upsertRatio = get('heraldUpsert').medianRowsPerSec / rawUpsert.medianRowsPerSec;
    const row = (name: string, against: ReturnType<typeof stats>) => {
      const v = get(name);
      return [
        v.label.padEnd(44),
        fmt(v.medianRowsPerSec).padStart(12),
        fmt(v.bestRowsPerSec).padStart(11),
        (v.medianRowsPerSec / against.medianRowsPerSec).toFixed(2).padStart(7),
        fmt(v.medianPgCpuMs).padStart(10),
        fmt(v.medianNodeCpuMs).padStart(10),
        `${v.peakRssMb} MB`.padStart(10),
      ].join('');
    };
    const head = `${'contender'.padEnd(44)}${'rows/s med'.padStart(12)}${'best'.padStart(11)}${'× base'.padStart(7)}${'pg CPU ms'.padStart(10)}${'node CPU'.padStart(10)}${'peak RSS'.padStart(10)}`;
    const lines = [
      '',
      `Ingest: ${fmt(ROWS)} transactions rows (${(txBytes / 1e6).toFixed(1)} MB), ${ROUNDS} rounds alternated, ${cpus().length} cores; base = ${raw.label}`,
      head,
      ...['raw', 'rawS3', 'plain', 'herald', 'heraldFile', 'heraldDryRun'].map((name) => row(name, raw)),
      `idle loader process (Node + tsx + pg + AWS SDK, connected, S3 GET, no load): peak RSS ${idle.maxRssMb} MB`,
      `ratio herald / raw (medians): ${ratio.toFixed(3)}   best vs best: ${(herald.bestRowsPerSec / Math.max(get('raw').bestRowsPerSec, get('rawS3').bestRowsPerSec)).toFixed(3)}   PostgreSQL CPU raw / herald: ${(raw.medianPgCpuMs / herald.medianPgCpuMs).toFixed(3)}`,
      `ratioVsPlain herald (S3) / plain typed table (file), medians: ${ratioVsPlain.toFixed(3)}   dry run / load: ${dryRunVsLoad.toFixed(3)} (${fmt(get('heraldDryRun').medianRowsPerSec)} vs ${fmt(herald.medianRowsPerSec)} rows/s)`,
      '',
      `Upsert: ${fmt(ROWS)} customers rows, half new keys, half existing (base = raw)`,
      head,
      ...['rawUpsert', 'heraldUpsert'].map((name) => row(name, rawUpsert)),
      `ratio herald / raw (medians): ${upsertRatio.toFixed(3)}   PostgreSQL CPU raw / herald: ${(rawUpsert.medianPgCpuMs / get('heraldUpsert').medianPgCpuMs).toFixed(3)}`,
      '',
      oneGb
        ? `1 GB: ${fmt(oneGb.rows)} rows (${(oneGb.bytes / 1e9).toFixed(2)} GB) S3 → loadCsv: ${fmt(oneGb.run.rowsPerSec)} rows/s, loader peak RSS ${oneGb.run.maxRssMb} MB (sampled ${oneGb.run.sampledPeakRssMb} MB)`
        : '1 GB: skipped (--skip-1gb)',
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);

    const summary = {
      rows: ROWS,
      rawRowsPerSec: raw.medianRowsPerSec,
      heraldRowsPerSec: herald.medianRowsPerSec,
      ratio: r3(ratio),
      ratioVsPlain: r3(ratioVsPlain),
      dryRunRowsPerSec: get('heraldDryRun').medianRowsPerSec,
      dryRunVsLoad: r3(dryRunVsLoad),
      peakRssMb: herald.peakRssMb,
      peakRssMb1GB: oneGb ? oneGb.run.maxRssMb : null,
    };
    mkdirSync(join(here, 'results'), { recursive: true });
    writeFileSync(
      join(here, 'results', 'ingest.json'),
      `${JSON.stringify(
        {
          ...summary,
          measuredAt: new Date().toISOString(),
          machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
          bytes: txBytes,
          rounds: ROUNDS,
          baseline: raw.label,
          ratioBest: r3(
            herald.bestRowsPerSec / Math.max(get('raw').bestRowsPerSec, get('rawS3').bestRowsPerSec),
          ),
          pgCpuRatio: r3(raw.medianPgCpuMs / herald.medianPgCpuMs),
          idleLoaderRssMb: idle.maxRssMb,
          contenders: s,
          upsert: {
            ratio: r3(upsertRatio),
            pgCpuRatio: r3(rawUpsert.medianPgCpuMs / get('heraldUpsert').medianPgCpuMs),
            raw: rawUpsert,
            herald: get('heraldUpsert'),
          },
          oneGb: oneGb ?? null,
        },
        null,
        2,
      )}\n`,
    );
    if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    // Last started, first stopped.
    for (const stop of stops.reverse()) await stop().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
