// `pnpm bench cli-upload-memory [--gib 1,5,20] [--json]`
//
// Whether the `herald upload` CLI's peak RSS grows with the file's size, at sizes the sample
// dataset does not allow (2 GiB): the real CLI (bin/herald.mjs) uploads a sparse file of N GiB
// in parts to a fake API and a part sink in another process (bench/_cli-upload-api.ts), so only
// the CLI's own cost is measured: reading parts, sending them, following the job. Its peak RSS
// (VmHWM, /proc, every 100 ms) is set against `herald jobs` through the same launcher (the floor).
// `bench/upload-memory.ts` measures the same CLI end to end against the local stack.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'packages', 'client-sdk', 'bin', 'herald.mjs');
const { values: options } = parseArgs({
  options: { gib: { type: 'string', default: '1,5,20' }, json: { type: 'boolean', default: false } },
});
const SIZES = options.gib.split(',').map(Number);
const say = (line: string) => process.stderr.write(`[bench cli-upload-memory] ${line}\n`);

/** VmHWM, VmRSS and RssAnon of a process in MB, or undefined once it has exited. */
function memoryMb(pid: number): { hwm: number; anon: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
    return { hwm: mb('VmHWM'), anon: mb('RssAnon') };
  } catch {
    return undefined;
  }
}

/** Runs the CLI, sampling its memory; rejects unless it exits 0. */
async function runCli(args: readonly string[], env: Record<string, string>) {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let peak = { hwm: 0, anon: 0 };
  const timer = setInterval(() => {
    const now = memoryMb(child.pid ?? 0);
    if (now) peak = { hwm: Math.max(peak.hwm, now.hwm), anon: Math.max(peak.anon, now.anon) };
  }, 100);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`herald ${args[0]} failed (exit ${code}): ${stderr}`);
  const round = (mb: number) => Math.round(mb * 10) / 10;
  return { peakMb: round(peak.hwm), rssAnonMb: round(peak.anon), seconds: (Date.now() - started) / 1000 };
}

const tmp = mkdtempSync(join(tmpdir(), 'herald-bench-cli-upload-'));
const api = spawn(process.execPath, ['--import', 'tsx', join(here, '_cli-upload-api.ts')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const line = await new Promise<string>((resolve) =>
    createInterface({ input: api.stdout }).once('line', resolve),
  );
  const { apiUrl, wsUrl } = JSON.parse(line) as { apiUrl: string; wsUrl: string };
  const env = {
    HERALD_API_URL: apiUrl,
    HERALD_WS_URL: wsUrl,
    HERALD_TOKEN: 'bench',
    HERALD_STATE_DIR: join(tmp, 'state'),
  };
  const floor = await runCli(['jobs'], env);
  say(`herald jobs (the floor): peak RSS ${floor.peakMb} MB`);
  const runs = [];
  for (const gib of SIZES) {
    const file = join(tmp, `${gib}gib.csv`);
    // Sparse: no disk written, and the reads cost the CLI what reading real bytes does.
    writeFileSync(file, '');
    truncateSync(file, Math.round(gib * 1024 ** 3));
    const run = await runCli(['upload', file, '--dataset', 'transactions', '--json'], env);
    rmSync(file);
    say(
      `herald upload of ${gib} GiB: peak RSS ${run.peakMb} MB (${(run.peakMb / floor.peakMb).toFixed(2)}× herald jobs), ` +
        `RssAnon ${run.rssAnonMb} MB, ${run.seconds.toFixed(1)} s`,
    );
    runs.push({ gib, ...run, ratioToFloor: Math.round((run.peakMb / floor.peakMb) * 100) / 100 });
  }
  const result = {
    floorPeakMb: floor.peakMb,
    runs,
    targetMb: 150,
    measuredAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model.trim(), node: process.version },
  };
  const out = join(here, 'results', 'cli-upload-memory.json');
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  say(`results: ${out}`);
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  api.kill();
  rmSync(tmp, { recursive: true, force: true });
}
