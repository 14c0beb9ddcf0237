// `pnpm bench table-rules [--rows N] [--rounds N]`
//
// What each part of a dataset table's rules costs PostgreSQL during a load, in ONE run on ONE
// embedded PostgreSQL 18 (contenders alternated round by round; on 2 cores only figures within a
// run are fair). Every contender is a raw `COPY … FROM STDIN (FORMAT csv)` of the same generated
// transactions file; the figure that matters is the backend's CPU time (utime + stime from /proc),
// which the machine's other work disturbs far less than wall-clock time.
//   plain        the floor: declared types as plain types (numeric(12,2), text), NOT NULL, no _job_id
//   plainJob     plain + `_job_id uuid NOT NULL DEFAULT current_setting('herald.job_id')::uuid`
//   plainConstJob plain + `_job_id` with a constant default (what a per-load SET DEFAULT gives)
//   rulesNoJob   the domains Herald generates, no _job_id
//   herald       Herald's table as migrated (domains, _job_id default, BRIN index)
//   heraldConst  Herald's table with a constant `_job_id` default
//   heraldInFile Herald's table, `_job_id` without default, the job id appended to every line
//   heraldStableFn / heraldImmutableFn  the `_job_id` default behind a STABLE / IMMUTABLE function
//   heraldLean   Herald's table with cheaper spellings of the same checks (lean_* domains)
//   heraldVarchar Herald's table with varchar(n) instead of the char_length CHECKs
//   stage / stageFreeze  upsert's staging: a temp table made in the load's transaction with a
//                constant `_job_id` default, COPY without / with FREEZE

import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { from as copyFrom } from 'pg-copy-streams';
import { TRANSACTIONS } from '../packages/ingest/tests/support/sample-datasets.ts';
import { generateTransactionsCsv } from './_csv-gen.ts';
import { withBenchDatabase, writeBenchResult } from './_pg-bench.ts';

const { values: options } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '5' } },
});
const ROWS = Number(options.rows);
const ROUNDS = Math.max(2, Number(options.rounds));
const say = (line: string) => process.stderr.write(`[bench table-rules] ${line}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/** utime + stime of a process, in ms (USER_HZ is 100 on Linux). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const JOB_DEFAULT = "DEFAULT current_setting('herald.job_id')::uuid";
const BRIN = 'USING brin (_job_id uuid_minmax_multi_ops)';

async function main(): Promise<void> {
  await withBenchDatabase('table-rules', async (db, tmp) => {
    const { rows: pidRows } = await db.query('SELECT pg_backend_pid() AS pid');
    const backend = Number((pidRows[0] as { pid: number }).pid);
    const cols = TRANSACTIONS.columns;
    const names = cols.map((c) => c.name).join(', ');
    const plainType = (c: (typeof cols)[number]) =>
      c.type.kind === 'numeric' ? `numeric(${c.type.precision},${c.type.scale})` : c.type.kind;
    const { rows: heraldCols } = await db.query(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = 'transactions'::regclass AND attnum > 0 AND NOT attisdropped AND attname <> '_job_id' ORDER BY attnum`,
    );
    const heraldType = new Map((heraldCols as { name: string; type: string }[]).map((r) => [r.name, r.type]));
    // Cheaper spellings of the same rules: a text length that needs counting characters only when
    // the byte length exceeds the limit (octet_length is O(1)); a numeric bound without abs()'s copy.
    await db.query(
      `CREATE DOMAIN lean_req_text_3 AS text NOT NULL CHECK (octet_length(VALUE) <= 3 OR char_length(VALUE) <= 3)`,
    );
    await db.query(
      `CREATE DOMAIN lean_text_500 AS text CHECK (octet_length(VALUE) <= 500 OR char_length(VALUE) <= 500)`,
    );
    await db.query(
      `CREATE DOMAIN lean_req_numeric_12_2 AS numeric NOT NULL CHECK (min_scale(VALUE) <= 2 AND VALUE > -1e10 AND VALUE < 1e10)`,
    );
    // The same default behind a function: STABLE (inlined, so evaluated per row as today) and
    // IMMUTABLE — a false label that lets the planner fold it once per COPY statement.
    await db.query(
      "CREATE FUNCTION job_id_stable() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT current_setting('herald.job_id')::uuid $$",
    );
    await db.query(
      "CREATE FUNCTION job_id_immutable() RETURNS uuid LANGUAGE sql IMMUTABLE AS $$ SELECT current_setting('herald.job_id')::uuid $$",
    );
    const leanType = (c: (typeof cols)[number]) =>
      ({ currency: 'lean_req_text_3', note: 'lean_text_500', amount: 'lean_req_numeric_12_2' })[c.name] ??
      heraldType.get(c.name);
    const nn = (c: (typeof cols)[number]) => (c.required ? ' NOT NULL' : '');
    const job = randomUUID();
    // varchar(n) for the length limits, to see what the char_length CHECK costs over the typmod
    // (refused anyway: varchar's input cuts an over-long value whose excess is spaces).
    await db.query('CREATE DOMAIN vc_req_3 AS varchar(3) NOT NULL');
    const varcharType = (c: (typeof cols)[number]) =>
      ({ currency: 'vc_req_3', note: 'varchar(500)' })[c.name] ?? heraldType.get(c.name);
    const tables: Record<string, { ddl: string[]; file: 'plain' | 'withJob'; temp?: 'freeze' | 'plain' }> = {
      plain: {
        ddl: [`CREATE TABLE t_plain (${cols.map((c) => `${c.name} ${plainType(c)}${nn(c)}`).join(', ')})`],
        file: 'plain',
      },
      plainJob: {
        ddl: [
          `CREATE TABLE t_plainJob (${cols.map((c) => `${c.name} ${plainType(c)}${nn(c)}`).join(', ')}, _job_id uuid NOT NULL ${JOB_DEFAULT})`,
        ],
        file: 'plain',
      },
      plainConstJob: {
        ddl: [
          `CREATE TABLE t_plainConstJob (${cols.map((c) => `${c.name} ${plainType(c)}${nn(c)}`).join(', ')}, _job_id uuid NOT NULL DEFAULT '${job}'::uuid)`,
        ],
        file: 'plain',
      },
      rulesNoJob: {
        ddl: [
          `CREATE TABLE t_rulesNoJob (${cols.map((c) => `${c.name} ${heraldType.get(c.name)}${nn(c)}`).join(', ')})`,
        ],
        file: 'plain',
      },
      herald: { ddl: ['CREATE TABLE t_herald (LIKE transactions INCLUDING ALL)'], file: 'plain' },
      heraldConst: {
        ddl: [
          'CREATE TABLE t_heraldConst (LIKE transactions INCLUDING ALL)',
          `ALTER TABLE t_heraldConst ALTER COLUMN _job_id SET DEFAULT '${job}'::uuid`,
        ],
        file: 'plain',
      },
      heraldInFile: {
        ddl: [
          'CREATE TABLE t_heraldInFile (LIKE transactions INCLUDING ALL)',
          'ALTER TABLE t_heraldInFile ALTER COLUMN _job_id DROP DEFAULT',
        ],
        file: 'withJob',
      },
      heraldStableFn: {
        ddl: [
          'CREATE TABLE t_heraldStableFn (LIKE transactions INCLUDING ALL)',
          'ALTER TABLE t_heraldStableFn ALTER COLUMN _job_id SET DEFAULT job_id_stable()',
        ],
        file: 'plain',
      },
      heraldImmutableFn: {
        ddl: [
          'CREATE TABLE t_heraldImmutableFn (LIKE transactions INCLUDING ALL)',
          'ALTER TABLE t_heraldImmutableFn ALTER COLUMN _job_id SET DEFAULT job_id_immutable()',
        ],
        file: 'plain',
      },
      heraldVarchar: {
        ddl: [
          `CREATE TABLE t_heraldVarchar (${cols.map((c) => `${c.name} ${varcharType(c)}${nn(c)}`).join(', ')}, _job_id uuid NOT NULL ${JOB_DEFAULT})`,
          `CREATE INDEX ON t_heraldVarchar ${BRIN}`,
        ],
        file: 'plain',
      },
      // Upsert's staging: a temp table created in the load's transaction with a constant default,
      // without and with COPY FREEZE (allowed because the table is new in this subtransaction).
      stage: { ddl: [], file: 'plain', temp: 'plain' },
      stageFreeze: { ddl: [], file: 'plain', temp: 'freeze' },
      heraldLean: {
        ddl: [
          `CREATE TABLE t_heraldLean (${cols.map((c) => `${c.name} ${leanType(c)}${nn(c)}`).join(', ')}, _job_id uuid NOT NULL ${JOB_DEFAULT})`,
          `CREATE INDEX ON t_heraldLean ${BRIN}`,
        ],
        file: 'plain',
      },
    };
    const kinds = Object.keys(tables);
    for (const kind of kinds) for (const sql of tables[kind]?.ddl ?? []) await db.query(sql);

    const file = join(tmp, 'transactions.csv');
    const bytes = await generateTransactionsCsv(file, ROWS);
    // The same file with the job id appended to every record (no record in it spans lines), and
    // what appending costs a Node transform that finds the line feeds.
    const withJob = join(tmp, 'with-job.csv');
    const suffix = Buffer.from(`,${job}`);
    const appendJob = () =>
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          const parts: Buffer[] = [];
          let from = 0;
          for (let at = chunk.indexOf(10, from); at !== -1; at = chunk.indexOf(10, from)) {
            parts.push(chunk.subarray(from, at), suffix, NL);
            from = at + 1;
          }
          parts.push(chunk.subarray(from));
          done(null, Buffer.concat(parts));
        },
      });
    const NL = Buffer.from('\n');
    const nodeStart = process.cpuUsage();
    await pipeline(
      createReadStream(file, { highWaterMark: 1 << 20 }),
      appendJob(),
      createWriteStream(withJob),
    );
    const transformCpu = process.cpuUsage(nodeStart);
    say(
      `${fmt(ROWS)} rows, ${(bytes / 1e6).toFixed(1)} MB; appending the job id in Node: ${fmt((transformCpu.user + transformCpu.system) / 1000)} ms CPU (incl. file I/O)`,
    );

    const results: Record<string, { ms: number[]; pgCpuMs: number[] }> = Object.fromEntries(
      kinds.map((k) => [k, { ms: [], pgCpuMs: [] }]),
    );
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) {
        const spec = tables[kind];
        if (!spec) continue;
        if (!spec.temp) await db.query(`TRUNCATE t_${kind}`);
        await db.query('CHECKPOINT');
        const cpu0 = cpuMs(backend);
        const started = performance.now();
        await db.query('BEGIN');
        await db.query("SELECT set_config('herald.job_id', $1, true)", [randomUUID()]);
        if (spec.temp) {
          await db.query(`CREATE TEMP TABLE t_${kind} (LIKE transactions INCLUDING DEFAULTS) ON COMMIT DROP`);
          await db.query(`ALTER TABLE t_${kind} ALTER COLUMN _job_id SET DEFAULT '${randomUUID()}'::uuid`);
        }
        const target = spec.file === 'withJob' ? `t_${kind} (${names}, _job_id)` : `t_${kind} (${names})`;
        await pipeline(
          createReadStream(spec.file === 'withJob' ? withJob : file, { highWaterMark: 1 << 20 }),
          db.query(
            copyFrom(
              `COPY ${target} FROM STDIN (FORMAT csv, HEADER true${spec.temp === 'freeze' ? ', FREEZE' : ''})`,
            ),
          ),
        );
        await db.query('COMMIT');
        const ms = performance.now() - started;
        const pgCpu = cpuMs(backend) - cpu0;
        results[kind]?.ms.push(ms);
        results[kind]?.pgCpuMs.push(pgCpu);
        say(`round ${round + 1}/${ROUNDS} ${kind}: ${fmt(ms)} ms, PostgreSQL CPU ${fmt(pgCpu)} ms`);
      }
    }

    const floor = median(results.plain?.pgCpuMs ?? []);
    const floorMs = median(results.plain?.ms ?? []);
    const report = Object.fromEntries(
      kinds.map((k) => {
        const r = results[k] ?? { ms: [], pgCpuMs: [] };
        return [
          k,
          {
            msMedian: Math.round(median(r.ms)),
            pgCpuMsMedian: median(r.pgCpuMs),
            pgCpuMsMin: Math.min(...r.pgCpuMs),
            pgCpuMsMax: Math.max(...r.pgCpuMs),
            pgCpuVsPlain: Math.round((median(r.pgCpuMs) / floor) * 1000) / 1000,
            msVsPlain: Math.round((median(r.ms) / floorMs) * 1000) / 1000,
          },
        ];
      }),
    );
    const lines = [
      '',
      `table rules: ${fmt(ROWS)} rows (${(bytes / 1e6).toFixed(1)} MB), raw COPY ${ROUNDS}× per contender`,
      `${'table'.padEnd(15)}${'ms'.padStart(8)}${'× plain'.padStart(9)}${'PG CPU ms'.padStart(11)}${'min–max'.padStart(13)}${'× plain'.padStart(9)}`,
      ...kinds.map((k) => {
        const r = report[k] as Record<string, number>;
        return `${k.padEnd(15)}${fmt(r.msMedian ?? 0).padStart(8)}${(r.msVsPlain ?? 0).toFixed(2).padStart(9)}${fmt(r.pgCpuMsMedian ?? 0).padStart(11)}${`${fmt(r.pgCpuMsMin ?? 0)}–${fmt(r.pgCpuMsMax ?? 0)}`.padStart(13)}${(r.pgCpuVsPlain ?? 0).toFixed(2).padStart(9)}`;
      }),
      '',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    writeBenchResult('table-rules', {
      rows: ROWS,
      bytes,
      rounds: ROUNDS,
      appendJobIdNodeCpuMs: Math.round((transformCpu.user + transformCpu.system) / 1000),
      contenders: report,
      runs: results,
    });
  });
}

await main();
