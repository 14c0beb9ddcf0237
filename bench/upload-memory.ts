// `pnpm bench upload-memory [--gib N] [--json]`
//
// Issue 17's memory budget, end to end: a generated `transactions` file of about N GiB (default
// 1) goes through `herald upload` (the real CLI: bin/herald.mjs, its esbuild bundle, parts read
// from disk through node:http) against the local stack, and the bench reports the peak RSS (VmHWM,
// sampled from /proc every 100 ms while each process lives) of
//   - the CLI process, against the same launcher running `herald jobs` (its floor: Node, the
//     bundled CLI and SDK, one REST call);
//   - every instance of the ingest worker (ingest/sqs-ingest: its esbuild bundle on the runtime's
//     Node major, one process per instance, found among this process's children by the
//     `AWS_LAMBDA_FUNCTION_NAME` in its environment), against its VmHWM just before the upload
//     (already warm: the stack's migrator and earlier invocations may have run it; if it has not
//     started yet, the floor is unknown).
// The sample dataset allows 2 GiB (`maxFileBytes`); for a larger file the bench raises that limit
// in its own throwaway stack's database, in the row a dataset migration writes
// (`ingest_datasets.declaration`), as an adopter's declaration allowing up to 100 GiB would. The
// generated file and the stack's data are deleted.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startLocalStack } from '../packages/local/src/stack.ts';
import { functionInstances } from '../packages/local/src/testing/function-instances.ts';
import { generateTransactionsCsv } from './_csv-gen.ts';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'packages', 'client-sdk', 'bin', 'herald.mjs');
const { values: options } = parseArgs({
  options: {
    gib: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    // Extra Node.js options for the CLI process (e.g. to try V8 heap flags against the default).
    'cli-node-options': { type: 'string', default: '' },
  },
});
const GIB = Number(options.gib);
// `generateTransactionsCsv` writes about 120 bytes a row (measured: 59,818,130 bytes for 498,487).
const ROWS = Math.round((GIB * 1024 ** 3) / 120);
const say = (line: string) => process.stderr.write(`[bench upload-memory] ${line}\n`);

/** VmHWM of a process in MB, or undefined once it has exited. */
function peakMb(pid: number): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Math.round((Number(kb) / 1024) * 10) / 10;
  } catch {
    return undefined;
  }
}

/** This process's children whose Lambda function name matches `name`. */
const functionPids = (name: RegExp): number[] =>
  functionInstances()
    .filter((i) => i.parentPid === process.pid && name.test(i.functionName))
    .map((i) => i.pid);

/** Raises `dataset`'s declared `maxFileBytes` to `bytes` when it is lower (the bench's stack only). */
async function allowFileSize(connectionString: string, dataset: string, bytes: number): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const { rowCount } = await client.query(
      `UPDATE ingest_datasets SET declaration = jsonb_set(declaration, '{maxFileBytes}', to_jsonb($2::bigint))
        WHERE name = $1 AND (declaration ->> 'maxFileBytes')::bigint < $2`,
      [dataset, bytes],
    );
    if (rowCount) say(`${dataset} declared up to ${bytes.toLocaleString('en-US')} bytes for this run`);
  } finally {
    await client.end();
  }
}

/** Runs the CLI with `args`, sampling its VmHWM; resolves with its exit code, peak and wall time. */
async function runCli(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; peakMb: number; ms: number; stdout: string; stderr: string }> {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env, NODE_OPTIONS: options['cli-node-options'] },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, peakMb(child.pid ?? 0) ?? 0);
  }, 100);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  return { code, peakMb: peak, ms: Date.now() - started, stdout, stderr };
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'herald-bench-upload-memory-'));
  let stack: Awaited<ReturnType<typeof startLocalStack>> | undefined;
  try {
    say(`starting the local stack in ${tmp}`);
    stack = await startLocalStack({ dataDir: join(tmp, 'stack'), fresh: true, log: () => {} });
    const file = join(tmp, 'transactions.csv');
    say(`generating ${ROWS.toLocaleString('en-US')} transactions rows (~${GIB} GiB)`);
    const bytes = await generateTransactionsCsv(file, ROWS);
    await allowFileSize(stack.postgres.connectionString, 'transactions', bytes);
    const env = {
      HERALD_API_URL: stack.apiUrl,
      HERALD_WS_URL: stack.wsUrl,
      HERALD_TOKEN: await stack.issueToken('alice', { expiresIn: 6 * 3600 }),
      // The CLI's resume tokens go to the bench's folder, not the developer's home.
      HERALD_STATE_DIR: join(tmp, 'state'),
    };

    const jobs = await runCli(['jobs'], env);
    if (jobs.code !== 0) throw new Error(`herald jobs failed (exit ${jobs.code}): ${jobs.stderr}`);
    say(`herald jobs (the CLI's floor): peak RSS ${jobs.peakMb} MB`);

    const ingest = /ingest.*sqs.*ingest|sqsingest/i;
    const workerIdle = Math.max(0, ...functionPids(ingest).map((pid) => peakMb(pid) ?? 0));
    const workerPeaks = new Map<number, number>();
    const workerTimer = setInterval(() => {
      for (const pid of functionPids(ingest)) {
        const mb = peakMb(pid);
        if (mb !== undefined) workerPeaks.set(pid, Math.max(workerPeaks.get(pid) ?? 0, mb));
      }
    }, 100);
    say(`herald upload of ${(bytes / 1024 ** 3).toFixed(2)} GiB …`);
    const upload = await runCli(
      ['upload', file, '--dataset', 'transactions', '--timeout', '7200', '--json'],
      env,
    );
    clearInterval(workerTimer);
    if (upload.code !== 0) throw new Error(`herald upload failed (exit ${upload.code}): ${upload.stderr}`);
    const { rowsLoaded: rows } = JSON.parse(upload.stdout) as { rowsLoaded: number };
    if (rows !== ROWS) throw new Error(`transactions has ${rows} rows, expected ${ROWS}`);
    const workerPeak = Math.max(0, ...workerPeaks.values());
    say(
      `herald upload: ${(upload.ms / 1000).toFixed(1)} s end to end, ${rows.toLocaleString('en-US')} rows loaded`,
    );
    say(`CLI peak RSS ${upload.peakMb} MB (herald jobs: ${jobs.peakMb} MB)`);
    say(
      `worker peak RSS ${workerPeak} MB over ${workerPeaks.size} instance(s) (before the upload: ${workerIdle ? `${workerIdle} MB` : 'not started'})`,
    );
    const result = {
      gib: GIB,
      bytes,
      rows,
      seconds: Math.round(upload.ms / 100) / 10,
      cliPeakRssMb: upload.peakMb,
      cliFloorRssMb: jobs.peakMb,
      workerPeakRssMb: workerPeak,
      workerInstances: workerPeaks.size,
      workerIdleRssMb: workerIdle || null,
      targetMb: 150,
      measuredAt: new Date().toISOString(),
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model.trim(), node: process.version },
    };
    const out = join(here, 'results', `upload-memory-${GIB}gib.json`);
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    say(`results: ${out}`);
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await stack?.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
