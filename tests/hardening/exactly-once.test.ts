import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { buildDeps, type IngestDeps, loadConfig } from '@herald/ingest';
import { makeSqsIngestHandler } from '@herald/ingest/handlers/sqs-ingest';
import type { JobEvent } from '@herald/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stack } from '../../packages/local/tests/support.ts';
import { recordFigures } from './support/report.ts';

// Exactly-once under faults. Each trial uploads one CSV and drives the REAL ingest worker
// (handler + PostgreSQL + s3rver adapters) through a queue model with SQS's rules: every
// duplicate S3 event is a message of its own, a message is deleted only when the handler
// reported it done, anything else is received again after the visibility timeout with
// ApproximateReceiveCount + 1, up to the production maxReceiveCount, then dead-lettered.
// One fault per trial, in turn, on top of 1–3 copies of the S3 event:
// - duplicates: 2–3 copies delivered at once;
// - kill: the worker runs in a child process, SIGKILLed while its COPY runs (a crashed Lambda);
// - cut: the database connection is terminated server-side (pg_terminate_backend) mid-COPY or
//   at a random moment (claim, load, commit);
// - early: the queue hands the same message out again while the first worker is still loading;
// - after-commit: the worker process dies after COMMIT, before its terminal event went out.
// After each trial: every source row is in the table exactly once, the job is `succeeded` with
// the right count and recorded as notified, its owner was sent ONE terminal event (resends of
// that same event, same seq, are counted: clients drop them by seq), no message was
// dead-lettered, no transaction was left open.
//
// Objects go to the FILES bucket, which no local queue listens to, so the stack's own worker
// never races the trials. HERALD_HARDENING_TRIALS / HERALD_HARDENING_SEED override the defaults;
// HERALD_HARDENING_FAULTS=kill,cut replays only those faults.

const TRIALS = Number(process.env.HERALD_HARDENING_TRIALS ?? 100);
const SEED = Number(process.env.HERALD_HARDENING_SEED ?? 20_261_127);
const ALL_FAULTS = ['duplicates', 'kill', 'cut', 'early', 'after-commit'] as const;
type Fault = (typeof ALL_FAULTS)[number];
const FAULTS: readonly Fault[] =
  process.env.HERALD_HARDENING_FAULTS === undefined
    ? ALL_FAULTS
    : ALL_FAULTS.filter((f) => process.env.HERALD_HARDENING_FAULTS?.split(',').includes(f));
/** The visibility timeout of the model queue (AWS's is minutes; the rules are the same). */
const VISIBILITY_MS = 150;
const IN_PROCESS_APP = 'hx-worker';
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'support', 'ingest-worker-child.ts');
const ALICE = '6f1c1f9e-3b1a-4c55-9d0e-a11ce0000001';

const { postgres, s3 } = stack();
const bucket = s3.buckets.files;
const withApp = (name: string) => {
  const url = new URL(postgres.connectionString);
  url.searchParams.set('application_name', name);
  return url.href;
};
const workerEnv = (app: string): Record<string, string> => ({
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  HERALD_DATABASE_URL: withApp(app),
  // Each Lambda has its own pool; here concurrent deliveries share one, so give it room.
  HERALD_DATABASE_POOL_MAX: '12',
  HERALD_UPLOADS_BUCKET: bucket,
  HERALD_S3_ENDPOINT: s3.endpoint,
  HERALD_LOG_LEVEL: 'error',
  // The worker records its metrics as on Lambda; their EMF lines would only flood this output.
  POWERTOOLS_METRICS_DISABLED: 'true',
});

const s3Client = new S3Client({
  region: 'us-east-1',
  endpoint: s3.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const db = new pg.Client({ connectionString: withApp('hx-observer') });
const sent: JobEvent[] = [];
let deps: IngestDeps;

/** mulberry32: a small seeded PRNG, so a failing trial can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Message {
  readonly id: string;
  receives: number;
  /** `inflight`: a delivery is running (or died without an answer). */
  state: 'pending' | 'inflight' | 'done' | 'dead';
}

interface Trial {
  readonly jobId: string;
  readonly dataset: 'transactions' | 'customers';
  readonly ids: string[];
  readonly body: string;
}

/** A CSV of `rows` fresh ids for the dataset, created as a job of alice's and put to S3. */
async function stageTrial(dataset: Trial['dataset'], rows: number): Promise<Trial> {
  const jobId = randomUUID();
  const key = `uploads/${ALICE}/${jobId}.csv`;
  const ids = Array.from({ length: rows }, () => randomUUID());
  const customer = randomUUID();
  const lines =
    dataset === 'transactions'
      ? [
          'transaction_id,customer_external_id,amount,currency,occurred_at,note',
          ...ids.map(
            (id, i) => `${id},${customer},${(i % 99_999) / 100},EUR,2026-05-01T10:00:00Z,"row ${i}, ok"`,
          ),
        ]
      : [
          'external_id,name,email,credit_limit,orders_count,active,signed_up_at,birth_date',
          ...ids.map(
            (id, i) =>
              `${id},Customer ${i},c${i}@example.test,${i % 5000}.50,${i},true,2026-01-02T03:04:05Z,1990-01-01`,
          ),
        ];
  const text = `${lines.join('\n')}\n`;
  await deps.jobs.create({
    jobId,
    userId: ALICE,
    dataset,
    fileName: `${dataset}.csv`,
    sizeBytes: Buffer.byteLength(text),
    objectKey: key,
  });
  await s3Client.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'text/csv' }),
  );
  const body = JSON.stringify({
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket }, object: { key, size: Buffer.byteLength(text) } },
      },
    ],
  });
  return { jobId, dataset, ids, body };
}

const sqsEvent = (trial: Trial, message: Message) => ({
  Records: [
    {
      messageId: message.id,
      body: trial.body,
      attributes: { ApproximateReceiveCount: String(message.receives) },
    },
  ],
});

/** One delivery to the in-process worker; settles the message as SQS would. */
async function deliver(trial: Trial, message: Message): Promise<void> {
  message.receives += 1;
  message.state = 'inflight';
  const receive = message.receives;
  let failed: boolean;
  try {
    const result = await makeSqsIngestHandler(() => deps)(sqsEvent(trial, message));
    failed = result.batchItemFailures.length > 0;
  } catch {
    failed = true; // a thrown batch fails every record of it
  }
  // Only the latest receive's answer counts (an older receipt handle is stale).
  if (message.receives === receive) message.state = failed ? 'pending' : 'done';
}

/** A worker process, started ahead of its trial. */
interface ChildWorker {
  readonly process: ChildProcess;
  readonly app: string;
  readonly ready: Promise<void>;
  /** Resolves when the process is gone, with whether it reported a result. */
  readonly exited: Promise<{ result?: { batchItemFailures: unknown[] } }>;
  /** Resolves when the worker holds back its terminal event (a task with `holdTerminal`). */
  readonly terminalHeld: Promise<void>;
}

function startChild(): ChildWorker {
  const app = `hx-child-${randomUUID().slice(0, 8)}`;
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, ...workerEnv(app) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let result: { batchItemFailures: unknown[] } | undefined;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  let markHeld: () => void = () => {};
  const terminalHeld = new Promise<void>((resolve) => {
    markHeld = resolve;
  });
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (line === 'READY') markReady();
    else if (line === 'TERMINAL-HELD') markHeld();
    else if (line.startsWith('EVENT ')) sent.push(JSON.parse(line.slice(6)) as JobEvent);
    else if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7));
  });
  const exited = new Promise<{ result?: { batchItemFailures: unknown[] } }>((resolve) => {
    child.on('exit', () => resolve(result === undefined ? {} : { result }));
  });
  return { process: child, app, ready, exited, terminalHeld };
}

/** The backend of `app` that is running a COPY right now, if any. */
async function copyingBackend(app: string): Promise<number | undefined> {
  const { rows } = await db.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity
      WHERE application_name = $1 AND state = 'active' AND query ILIKE 'COPY%'`,
    [app],
  );
  return rows[0]?.pid;
}

/** Polls until `app` runs a COPY (true) or `done` settles first (false). */
async function waitForCopy(app: string, done: Promise<unknown>): Promise<boolean> {
  let over = false;
  void done.then(
    () => (over = true),
    () => (over = true),
  );
  const giveUp = Date.now() + 60_000;
  while (!over && Date.now() < giveUp) {
    if ((await copyingBackend(app)) !== undefined) return true;
    await sleep(3);
  }
  return false;
}

/**
 * Terminates every backend of `app` that is busy (running a statement or inside a
 * transaction); idle pooled connections are left alone, cutting them proves little. Returns
 * what each was doing: the statement's first word, or `in-transaction` between statements.
 */
async function cutConnections(app: string): Promise<string[]> {
  const { rows } = await db.query<{ phase: string }>(
    `SELECT CASE WHEN state = 'active' THEN split_part(ltrim(query), ' ', 1)
                 ELSE 'in-transaction' END AS phase, pg_terminate_backend(pid)
       FROM pg_stat_activity
      WHERE application_name = $1 AND (state = 'active' OR state LIKE 'idle in transaction%')`,
    [app],
  );
  return rows.map((r) => r.phase.toLowerCase());
}

const figures = {
  trials: 0,
  trialsPassed: 0,
  byFault: Object.fromEntries(FAULTS.map((f) => [f, 0])) as Record<Fault, number>,
  duplicateDeliveries: 0,
  killedMidCopy: 0,
  killMissedCopy: 0,
  connectionsCut: 0,
  cutPhases: {} as Record<string, number>,
  earlyRedeliveries: 0,
  killedAfterCommit: 0,
  terminalResends: 0,
  deliveries: 0,
  rowsVerified: 0,
  rowsDuplicated: 0,
  rowsMissing: 0,
  terminalEvents: 0,
  deadLettered: 0,
};

beforeAll(async () => {
  for (const [name, value] of Object.entries(workerEnv(IN_PROCESS_APP))) vi.stubEnv(name, value);
  deps = {
    ...buildDeps(loadConfig(process.env)),
    notifier: {
      async notify(_userId, event) {
        sent.push(structuredClone(event));
        return true;
      },
    },
  };
  await db.connect();
});

afterAll(async () => {
  await deps?.close?.();
  await db.end();
  s3Client.destroy();
  vi.unstubAllEnvs();
});

describe(`exactly-once ingest under faults (${TRIALS} trials, seed ${SEED})`, () => {
  it('loads every row exactly once and ends every job in one terminal state', async () => {
    const random = prng(SEED);
    const failures: string[] = [];
    let warm = startChild();
    for (let t = 0; t < TRIALS; t++) {
      const fault = FAULTS[t % FAULTS.length] as Fault;
      const copies = fault === 'duplicates' ? 2 + Math.floor(random() * 2) : 1 + Math.floor(random() * 3);
      const dataset = random() < 0.8 ? 'transactions' : 'customers';
      const rows = 6_000 + Math.floor(random() * 14_000);
      const trial = await stageTrial(dataset, rows);
      const messages: Message[] = Array.from({ length: copies }, (_, i) => ({
        id: `${trial.jobId}-${i}`,
        receives: 0,
        state: 'pending',
      }));
      const [first, ...others] = messages as [Message, ...Message[]];
      const running: Promise<unknown>[] = [];

      if (fault === 'kill') {
        const worker = warm;
        warm = startChild();
        await worker.ready;
        first.receives += 1;
        first.state = 'inflight';
        worker.process.stdin?.write(`${JSON.stringify({ event: sqsEvent(trial, first) })}\n`);
        // The copies arrive while the child loads (it would lose the lock race to them if they
        // started together: it still has to open its first connections).
        if (await waitForCopy(worker.app, worker.exited)) {
          running.push(...others.map((m) => deliver(trial, m)));
          await sleep(random() * 40);
          worker.process.kill('SIGKILL');
          figures.killedMidCopy += 1;
        } else {
          running.push(...others.map((m) => deliver(trial, m)));
          figures.killMissedCopy += 1; // the child finished before its COPY was seen
        }
        const { result } = await worker.exited;
        if (result !== undefined) first.state = result.batchItemFailures.length > 0 ? 'pending' : 'done';
        else first.state = 'pending'; // no answer: visible again after the timeout
      } else if (fault === 'after-commit') {
        const worker = warm;
        warm = startChild();
        await worker.ready;
        first.receives += 1;
        first.state = 'inflight';
        worker.process.stdin?.write(
          `${JSON.stringify({ event: sqsEvent(trial, first), holdTerminal: true })}\n`,
        );
        // The copies are still in the queue; a worker that finds the job loaded must tell the owner.
        await Promise.race([worker.terminalHeld, worker.exited]);
        worker.process.kill('SIGKILL');
        const { result } = await worker.exited;
        if (result === undefined) figures.killedAfterCommit += 1;
        first.state = result !== undefined && result.batchItemFailures.length === 0 ? 'done' : 'pending';
        running.push(...others.map((m) => deliver(trial, m)));
      } else if (fault === 'cut') {
        running.push(...messages.map((m) => deliver(trial, m)));
        const all = Promise.all(running);
        // Half the cuts hit the COPY; the others a random moment of the run (claim, load, commit).
        if (random() < 0.5) await waitForCopy(IN_PROCESS_APP, all);
        else await Promise.race([sleep(random() * 150), all]);
        const phases = await cutConnections(IN_PROCESS_APP);
        if (phases.length === 0) figures.cutPhases.finished = (figures.cutPhases.finished ?? 0) + 1;
        for (const phase of phases) figures.cutPhases[phase] = (figures.cutPhases[phase] ?? 0) + 1;
        figures.connectionsCut += phases.length;
      } else if (fault === 'early') {
        running.push(deliver(trial, first), ...others.map((m) => deliver(trial, m)));
        // Whichever copy won the lock is loading: the first message comes back before its time.
        if (await waitForCopy(IN_PROCESS_APP, Promise.all(running))) {
          running.push(deliver(trial, first)); // handed out again while the first still loads
          figures.earlyRedeliveries += 1;
        }
      } else {
        running.push(...messages.map((m) => deliver(trial, m)));
      }
      await Promise.all(running);

      // The queue: whatever is not done comes back after the visibility timeout.
      while (messages.some((m) => m.state === 'pending')) {
        await sleep(VISIBILITY_MS);
        await Promise.all(
          messages
            .filter((m) => m.state === 'pending')
            .map(async (m) => {
              if (m.receives >= deps.maxReceives) m.state = 'dead';
              else await deliver(trial, m);
            }),
        );
      }

      const problems = await verify(trial);
      figures.trials += 1;
      figures.byFault[fault] += 1;
      figures.duplicateDeliveries += copies - 1;
      figures.deliveries += messages.reduce((n, m) => n + m.receives, 0);
      figures.deadLettered += messages.filter((m) => m.state === 'dead').length;
      if (messages.some((m) => m.state === 'dead')) problems.push('a message was dead-lettered');
      if (problems.length === 0) figures.trialsPassed += 1;
      else
        failures.push(`trial ${t} (${fault}, ${copies}× ${dataset}, ${rows} rows): ${problems.join('; ')}`);
    }
    warm.process.kill('SIGKILL');
    await warm.exited;

    expect(failures, `failed trials:\n${failures.join('\n')}\n`).toEqual([]);
    expect(figures.trialsPassed).toBe(TRIALS);
    // The faults really happened (a trial where every kill missed its COPY proves nothing).
    const happened: Record<Fault, number> = {
      duplicates: figures.duplicateDeliveries,
      kill: figures.killedMidCopy,
      cut: figures.connectionsCut,
      early: figures.earlyRedeliveries,
      'after-commit': figures.killedAfterCommit,
    };
    for (const fault of FAULTS) expect(happened[fault], fault).toBeGreaterThan(0);
    // A replay of some faults (HERALD_HARDENING_FAULTS) is not the suite's figure.
    if (FAULTS.length === ALL_FAULTS.length) recordFigures('exactly-once', { seed: SEED, ...figures });
  });
});

/** What is wrong with a finished trial (empty: nothing). */
async function verify(trial: Trial): Promise<string[]> {
  const problems: string[] = [];
  const key = trial.dataset === 'transactions' ? 'transaction_id' : 'external_id';
  const { rows: counts } = await db.query<{ n: number; distinct: number; other_job: number }>(
    `SELECT count(*)::int AS n, count(DISTINCT ${key})::int AS distinct,
            count(*) FILTER (WHERE _job_id <> $2)::int AS other_job
       FROM ${trial.dataset} WHERE ${key} = ANY($1::uuid[])`,
    [trial.ids, trial.jobId],
  );
  const c = counts[0] ?? { n: 0, distinct: 0, other_job: 0 };
  const expected = trial.ids.length;
  figures.rowsVerified += c.n;
  figures.rowsDuplicated += c.n - c.distinct;
  figures.rowsMissing += expected - c.distinct;
  if (c.n !== expected || c.distinct !== expected || c.other_job !== 0) {
    problems.push(
      `table holds ${c.n} rows (${c.distinct} distinct, ${c.other_job} of another job), expected ${expected}`,
    );
  }
  const { rows: jobs } = await db.query<{ state: string; rows_loaded: number | null; notified: boolean }>(
    `SELECT state, rows_loaded::int AS rows_loaded, notified_at IS NOT NULL AS notified
       FROM ingest_jobs WHERE job_id = $1`,
    [trial.jobId],
  );
  if (jobs[0]?.state !== 'succeeded' || jobs[0]?.rows_loaded !== expected || jobs[0]?.notified !== true) {
    problems.push(
      `job is ${jobs[0]?.state} with ${jobs[0]?.rows_loaded} rows, notified: ${jobs[0]?.notified}`,
    );
  }
  const terminal = sent.filter(
    (e) => e.jobId === trial.jobId && (e.type === 'job.succeeded' || e.type === 'job.failed'),
  );
  // Copies of one event (same seq, same content) are one event to a client; anything else is two.
  // (`at` and `durationMs` of a resend come from the job row, not the first worker's clock.)
  const distinct = new Set(terminal.map((e) => canonical({ ...e, at: undefined, durationMs: undefined })));
  figures.terminalEvents += distinct.size;
  figures.terminalResends += terminal.length - distinct.size;
  if (distinct.size !== 1)
    problems.push(
      `${distinct.size} different terminal events sent (${terminal.length} sends): ${[...distinct].join(' ')}`,
    );
  const { rows: open } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE application_name LIKE 'hx-%' AND state LIKE 'idle in transaction%'`,
  );
  if ((open[0]?.n ?? 0) > 0) problems.push(`${open[0]?.n} transactions left open`);
  return problems;
}

/**
 * JSON with every object's keys sorted: a worker's event and its resend from the job row carry
 * the same fields in a different order, and a client compares fields, not key order.
 */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
