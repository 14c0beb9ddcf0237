// One measured load, in its own process so its peak RSS is the loader's alone (not the
// generator's, the baseline's or s3rver's). Called by bench/ingest.ts with one JSON argument;
// prints one JSON line: {"ms":N,"rows":N,"maxRssMb":N,"pgCpuMs":N,"nodeCpuMs":N}. The clock
// starts when the source is opened (after imports and connecting) and stops when COMMIT returns.
// CPU times (this process, and its PostgreSQL backend read from /proc) are the noise-robust
// cross-check of the wall clock on a shared machine.
import { createReadStream, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadCsv } from '../packages/ingest/src/adapters/pg-csv-loader.ts';
import { sampleDataset } from '../packages/ingest/tests/support/sample-datasets.ts';

export interface ChildTask {
  /**
   * `raw`: COPY the file into `table`; `raw-upsert`: COPY to staging + INSERT … ON CONFLICT;
   * `herald`: loadCsv; `idle`: everything but the load (imports, connection, the S3 GET), for
   * the process's baseline RSS.
   */
  readonly kind: 'raw' | 'raw-upsert' | 'herald' | 'idle';
  readonly connectionString: string;
  readonly schema: string;
  readonly jobId: string;
  /** raw / raw-upsert: target table; herald: dataset name. */
  readonly table: string;
  readonly columns: readonly string[];
  readonly key?: readonly string[];
  /** A local file (the raw baselines, or herald reading a file). */
  readonly file?: string;
  /** The S3 object herald reads (the worker's real path). */
  readonly s3?: { readonly endpoint: string; readonly bucket: string; readonly key: string };
  /** herald: validate only (a dry run), loading nothing. */
  readonly dryRun?: boolean;
}

export interface ChildResult {
  readonly ms: number;
  readonly rows: number;
  readonly maxRssMb: number;
  /** CPU time of the PostgreSQL backend that ran the load; null where /proc is not readable. */
  readonly pgCpuMs: number | null;
  readonly nodeCpuMs: number;
}

/** utime + stime of a process, in ms (USER_HZ is 100 on Linux). */
function processCpuMs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

async function openSource(task: ChildTask): Promise<AsyncIterable<Uint8Array>> {
  if (task.s3) {
    const s3 = new S3Client({
      endpoint: task.s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const object = await s3.send(new GetObjectCommand({ Bucket: task.s3.bucket, Key: task.s3.key }));
    return object.Body as Readable;
  }
  if (!task.file) throw new Error('task needs a file or an S3 object');
  return createReadStream(task.file, { highWaterMark: 1024 * 1024 });
}

async function run(task: ChildTask): Promise<ChildResult> {
  const client = new pg.Client({ connectionString: task.connectionString });
  await client.connect();
  await client.query(`SET search_path TO ${task.schema}`);
  const cols = task.columns.join(', ');
  const { rows: backend } = await client.query('SELECT pg_backend_pid() AS pid');
  const pid = (backend[0] as { pid: number }).pid;
  const pgCpu0 = processCpuMs(pid);
  const nodeCpu0 = process.cpuUsage();
  const started = performance.now();
  const source = await openSource(task);
  let rows = 0;
  await client.query('BEGIN');
  if (task.kind === 'idle') {
    (source as Readable).destroy?.();
  } else if (task.kind === 'herald') {
    const dataset = sampleDataset(task.table);
    if (!dataset) throw new Error(`no dataset ${task.table}`);
    const outcome = await loadCsv(client, {
      jobId: task.jobId,
      dataset,
      source,
      onProgress: () => {},
      ...(task.dryRun && { dryRun: true }),
    });
    if (!outcome.ok) throw new Error(`load refused: ${outcome.code}: ${outcome.message}`);
    rows = outcome.rowsLoaded;
  } else {
    await client.query("SELECT set_config('herald.job_id', $1, true)", [task.jobId]);
    const target = task.kind === 'raw' ? task.table : 'bench_stage';
    if (task.kind === 'raw-upsert') {
      await client.query(
        `CREATE TEMP TABLE bench_stage (LIKE ${task.table} INCLUDING DEFAULTS) ON COMMIT DROP`,
      );
    }
    const copy = client.query(copyFrom(`COPY ${target} (${cols}) FROM STDIN (FORMAT csv, HEADER true)`));
    await pipeline(source as Readable, copy);
    rows = copy.rowCount;
    if (task.kind === 'raw-upsert') {
      const key = task.key ?? [];
      const updates = [...task.columns.filter((c) => !key.includes(c)), '_job_id'].map(
        (c) => `${c} = EXCLUDED.${c}`,
      );
      const result = await client.query(
        `INSERT INTO ${task.table} (${cols}, _job_id) SELECT ${cols}, _job_id FROM bench_stage
         ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${updates.join(', ')}`,
      );
      rows = result.rowCount ?? 0;
    }
  }
  await client.query('COMMIT');
  const ms = performance.now() - started;
  const pgCpu1 = processCpuMs(pid);
  const nodeCpu = process.cpuUsage(nodeCpu0);
  await client.end();
  return {
    ms,
    rows,
    maxRssMb: Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10,
    pgCpuMs: pgCpu0 === null || pgCpu1 === null ? null : pgCpu1 - pgCpu0,
    nodeCpuMs: Math.round((nodeCpu.user + nodeCpu.system) / 1000),
  };
}

const task = JSON.parse(process.argv[2] ?? '{}') as ChildTask;
run(task).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
