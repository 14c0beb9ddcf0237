import { randomUUID } from 'node:crypto';
import type { DatasetDefinition, LoadOutcome } from '@herald/ingest';
import { DEV_USERS } from '@herald/local';
import {
  ERROR_CODES,
  type ErrorCode,
  isErrorEnvelope,
  JobErrorsSchema,
  type JobView,
  JobViewSchema,
  RejectReportSchema,
  SinglePutUploadResponseSchema,
} from '@herald/protocol';
import { migrate } from '@herald/runtime/migrations';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traversalCorpus } from '../../packages/files/tests/fakes/traversal-corpus.ts';
// The loader is not part of @herald/ingest's public surface (the worker reaches it through
// compose); the hardening suite drives it directly, as bench/_ingest-child.ts does.
import { loadCsv } from '../../packages/ingest/src/adapters/pg-csv-loader.ts';
import { SAMPLE_MIGRATIONS, sampleDataset } from '../../packages/ingest/tests/support/sample-datasets.ts';
import { issueToken, stack } from '../../packages/local/tests/support.ts';
import {
  arbitraryFileOf,
  type Baseline,
  chunked,
  type Expected,
  type ExpectedRowError,
  fileSpecOf,
  renderFile,
  type TableRow,
} from './support/hostile-csv.ts';
import { mustBeRefused, pathCaseOf, pathOf, plainlyFine } from './support/hostile-paths.ts';
import { recordFigures } from './support/report.ts';

// Hostile input against the ingest loader, the upload and job endpoints and the file-link
// endpoint: every case must end in a clear, catalogued error or a correct load, never in a 500,
// a crash, a hang or partial data. Generated cases come from fast-check with a FIXED seed (the
// same corpus every CI run); `HERALD_FC_SEED=<n>` explores another one. A failure prints the
// property's seed (HERALD_FC_SEED + its offset: 0 the loader model, 1 arbitrary bytes, 2–4 the
// sampled upload files, 10 the paths), the replay path and the shrunk counterexample.

const SEED = Number(process.env.HERALD_FC_SEED ?? 20_260_508);
if (!Number.isSafeInteger(SEED))
  throw new Error(`HERALD_FC_SEED must be an integer, got ${process.env.HERALD_FC_SEED}`);

const figures = {
  seed: SEED,
  loader: {
    modelCases: 0,
    arbitraryCases: 0,
    loaded: 0,
    rowsLoaded: 0,
    refusedByCode: {} as Record<string, number>,
    rowsRejectedReported: 0,
    skippedRowsLoaded: 0,
    mutations: {} as Record<string, number>,
    partialLoads: 0,
    unexpectedThrows: 0,
    /** Dry runs compared with the load of the same bytes: same outcome, table untouched. */
    dryRunsCompared: 0,
  },
  http: { hangs: 0, serverErrors: 0 } as Record<string, unknown>,
  paths: {} as Record<string, unknown>,
};
/** Tests that ran to their end; the figures are recorded only when all did. */
const passed = new Set<string>();
const TESTS = 7;
const bump = (counts: Record<string, number>, key: string, by = 1) => {
  counts[key] = (counts[key] ?? 0) + by;
};

const CUSTOMERS = sampleDataset('customers');
const TRANSACTIONS = sampleDataset('transactions');
const PRICE_LIST = sampleDataset('price_list');
const DATASETS = [CUSTOMERS, TRANSACTIONS, PRICE_LIST];

/** Every code a user can be shown. */
const CODES = new Set(Object.keys(ERROR_CODES));

/** A refusal a person can act on: a catalogued code and a sentence, no internals. */
function expectClearRefusal(outcome: Extract<LoadOutcome, { ok: false }>): void {
  expect(CODES.has(outcome.code), outcome.code).toBe(true);
  expect(outcome.code).not.toBe('INTERNAL');
  expect(outcome.message.length).toBeGreaterThan(10);
  // A sentence, not a dump: it travels in job.failed, whose WebSocket frame is capped at 128 KB.
  expect(outcome.message.length).toBeLessThan(4096);
  expect(outcome.message).toMatch(/^(line \d+|[A-Z0-9'])/);
  expect(outcome.message).not.toMatch(/SQLSTATE|\[object |\bline 0\b/);
  for (const error of outcome.rowErrors) {
    expect(CODES.has(error.code), error.code).toBe(true);
    expect(error.line).toBeGreaterThanOrEqual(1);
    expect(error.reason.length).toBeGreaterThan(3);
  }
}

// ---------------------------------------------------------------------------------------------
// 1. The loader against real PostgreSQL, in a schema of its own

const schema = `hostile_${randomUUID().replaceAll('-', '').slice(0, 10)}`;
const BASELINE_JOB = '00000000-0000-4000-8000-00000000b45e';
let db: pg.Client;
let baseline: Baseline;

/** A column as the oracle compares it: text, and timestamps as exact epoch microseconds. */
function columnExpr(column: DatasetDefinition['columns'][number]): string {
  return column.type.kind === 'timestamptz'
    ? `(extract(epoch from ${column.name}) * 1000000)::bigint::text AS ${column.name}`
    : `${column.name}::text AS ${column.name}`;
}

async function readTable(d: DatasetDefinition): Promise<TableRow[]> {
  const { rows } = await db.query(
    `SELECT ${d.columns.map(columnExpr).join(', ')}, _job_id::text AS _job_id FROM ${d.table}`,
  );
  return rows as TableRow[];
}

const sortRows = (rows: readonly TableRow[]) => rows.map((r) => JSON.stringify(r)).sort();
const keyOf = (d: DatasetDefinition, row: TableRow) => d.key.map((k) => row[k] ?? '').join('\u0000');

async function seedBaseline(): Promise<Baseline> {
  await db.query('BEGIN');
  await db.query("SELECT set_config('herald.job_id', $1, true)", [BASELINE_JOB]);
  await db.query(`INSERT INTO customers (external_id, name, email, credit_limit, orders_count, active, signed_up_at, birth_date) VALUES
    ('00000000-0000-4000-8000-0000000000c1', 'Ada', 'ada@example.org', 100.50, 3, true, '2020-01-02T03:04:05Z', '1990-05-06'),
    ('00000000-0000-4000-8000-0000000000c2', 'Bob "the builder"', NULL, NULL, NULL, NULL, NULL, NULL),
    ('00000000-0000-4000-8000-0000000000c3', '=1+1', 'x@y.z', -5, -1, false, '1999-12-31T23:59:59.999999Z', '2000-02-29')`);
  await db.query(`INSERT INTO transactions (transaction_id, customer_external_id, amount, currency, occurred_at, note) VALUES
    ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000c1', 1.00, 'EUR', '2024-01-01T00:00:00Z', 'baseline'),
    ('00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-0000000000c2', -2.50, 'USD', '2024-01-02T00:00:00Z', NULL)`);
  await db.query(`INSERT INTO price_list (sku, price, currency, valid_from) VALUES
    ('OLD-1', 9.99, 'EUR', '2024-01-01'), ('OLD-2', 0.01, 'EUR', NULL)`);
  await db.query('COMMIT');
  const rows: Record<string, TableRow[]> = {};
  for (const d of DATASETS) rows[d.table] = await readTable(d);
  return { jobId: BASELINE_JOB, rows };
}

/**
 * One load as the worker runs it (BEGIN, loadCsv), then what the table holds INSIDE that
 * transaction, then ROLLBACK so every case starts from the baseline. A refusal must leave the
 * transaction usable and the table as it was: the loader rolled back to its own savepoint.
 */
async function load(
  d: DatasetDefinition,
  bytes: Uint8Array,
  chunkSize: number,
): Promise<{ jobId: string; outcome: LoadOutcome; table: TableRow[] }> {
  const jobId = randomUUID();
  await db.query('BEGIN');
  try {
    const outcome = await loadCsv(db, { jobId, dataset: d, source: chunked(bytes, chunkSize) });
    const table = await readTable(d);
    return { jobId, outcome, table };
  } catch (error) {
    figures.loader.unexpectedThrows++;
    throw error;
  } finally {
    await db.query('ROLLBACK');
  }
}

/**
 * The same bytes as a dry run: the outcome must be the load's, to the last row error, and the
 * table must be exactly the baseline (inside the transaction, before the rollback).
 */
async function checkDryRun(d: DatasetDefinition, bytes: Uint8Array, chunkSize: number, loaded: LoadOutcome) {
  await db.query('BEGIN');
  try {
    const outcome = await loadCsv(db, {
      jobId: randomUUID(),
      dataset: d,
      source: chunked(bytes, chunkSize),
      dryRun: true,
    });
    expect(outcome, 'a dry run answers what the load answered').toEqual(loaded);
    expect(sortRows(await readTable(d)), 'a dry run leaves the table as it was').toEqual(
      sortRows(baseline.rows[d.table] ?? []),
    );
  } finally {
    await db.query('ROLLBACK');
  }
  figures.loader.dryRunsCompared++;
}

function checkAgainstOracle(
  d: DatasetDefinition,
  expected: Expected,
  result: { jobId: string; outcome: LoadOutcome; table: TableRow[] },
): void {
  const { jobId, outcome, table } = result;
  const before = baseline.rows[d.table] ?? [];
  const pick = (e: { line: number; code: ErrorCode; column?: string }) => ({
    line: e.line,
    code: e.code,
    ...(e.column === undefined ? {} : { column: e.column }),
  });
  if (expected.ok) {
    expect(outcome, JSON.stringify(outcome)).toMatchObject({
      ok: true,
      rowsLoaded: expected.rows.length,
      rowsRejected: expected.rowsRejected,
    });
    if (!outcome.ok) return;
    expect(outcome.rejects.map(pick)).toEqual(expected.rejects.map(pick));
    const mine = table.filter((r) => r._job_id === jobId);
    expect(sortRows(mine)).toEqual(sortRows(expected.rows.map((r) => ({ ...r, _job_id: jobId }))));
    // Everything else in the table: untouched baseline rows (none after a replace).
    const rewritten = new Set(expected.rows.map((r) => keyOf(d, r)));
    const untouched =
      d.mode === 'replace'
        ? []
        : d.mode === 'upsert'
          ? before.filter((r) => !rewritten.has(keyOf(d, r)))
          : before;
    expect(sortRows(table.filter((r) => r._job_id !== jobId))).toEqual(sortRows(untouched));
    figures.loader.loaded++;
    figures.loader.rowsLoaded += outcome.rowsLoaded;
    figures.loader.skippedRowsLoaded += outcome.rowsRejected;
    return;
  }
  expect(
    outcome.ok,
    `expected a refusal (${expected.codes.join(' or ')}), got ${JSON.stringify(outcome)}`,
  ).toBe(false);
  if (outcome.ok) return;
  expect(expected.codes, outcome.message).toContain(outcome.code);
  expectClearRefusal(outcome);
  if (expected.rowErrors !== undefined) {
    expect(outcome.rowErrors.map(pick), outcome.message).toEqual(expected.rowErrors.map(pick));
    expect(outcome.rowsRejected).toBe(expected.rowsRejected);
  }
  // All or nothing: not one row of a refused file, and the baseline intact.
  if (sortRows(table).join('\n') !== sortRows(before).join('\n')) figures.loader.partialLoads++;
  expect(sortRows(table)).toEqual(sortRows(before));
  bump(figures.loader.refusedByCode, outcome.code);
  figures.loader.rowsRejectedReported += outcome.rowsRejected;
}

/** The real datasets (`maxRejects` 0) and, to prove skip-and-report, each with `maxRejects` 3. */
const VARIANTS: readonly DatasetDefinition[] = DATASETS.flatMap((d) => [d, { ...d, maxRejects: 3 }]);
const CHUNK = fc.constantFrom(1, 3, 7, 64, 1024, 1 << 20);

beforeAll(async () => {
  db = new pg.Client({ connectionString: stack().postgres.connectionString });
  await db.connect();
  await migrate(db, { schema, sources: SAMPLE_MIGRATIONS });
  await db.query(`SET search_path TO ${schema}`);
  // Session settings unlike the loader's, so its rules (no zone = UTC, ISO dates) are its own.
  await db.query("SET TimeZone = 'America/New_York'");
  await db.query("SET DateStyle = 'ISO, MDY'");
  baseline = await seedBaseline();
});

afterAll(async () => {
  await db?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db?.end();
});

describe('loadCsv under generated hostile CSV (property-based, real PostgreSQL)', () => {
  it('loads exactly the valid rows, or refuses the file with the documented code and lines, leaving nothing', async () => {
    const keyPool = (baseline.rows.customers ?? []).map((r) => r.external_id as string);
    const cases = fc.constantFrom(...VARIANTS).chain((d) =>
      fc.record({
        d: fc.constant(d),
        spec: fileSpecOf(d, d.table === 'customers' ? keyPool : []),
        chunk: CHUNK,
      }),
    );
    await fc.assert(
      fc.asyncProperty(cases, async ({ d, spec, chunk }) => {
        const file = renderFile(spec, baseline);
        const result = await load(d, file.bytes, chunk);
        checkAgainstOracle(d, file.expected, result);
        await checkDryRun(d, file.bytes, chunk, result.outcome);
        figures.loader.modelCases++;
        for (const [kind, n] of Object.entries(file.kinds)) bump(figures.loader.mutations, kind, n);
      }),
      { seed: SEED, numRuns: 400 },
    );
    passed.add('loader-model');
  });

  it('answers arbitrary bytes with a load or a catalogued refusal, never a throw or partial rows', async () => {
    const cases = fc
      .constantFrom(...DATASETS)
      .chain((d) => fc.record({ d: fc.constant(d), bytes: arbitraryFileOf(d), chunk: CHUNK }));
    await fc.assert(
      fc.asyncProperty(cases, async ({ d, bytes, chunk }) => {
        const { jobId, outcome, table } = await load(d, bytes, chunk);
        await checkDryRun(d, bytes, chunk, outcome);
        const before = baseline.rows[d.table] ?? [];
        figures.loader.arbitraryCases++;
        if (outcome.ok) {
          expect(outcome.rowsRejected).toBe(0);
          expect(table.filter((r) => r._job_id === jobId)).toHaveLength(outcome.rowsLoaded);
          const others = table.filter((r) => r._job_id !== jobId);
          if (d.mode === 'replace') expect(others).toEqual([]);
          if (d.mode === 'append') expect(sortRows(others)).toEqual(sortRows(before));
          // An upsert may rewrite baseline rows (they then carry this job), never touch others.
          if (d.mode === 'upsert')
            for (const row of sortRows(others)) expect(sortRows(before)).toContain(row);
          figures.loader.loaded++;
          figures.loader.rowsLoaded += outcome.rowsLoaded;
          return;
        }
        expectClearRefusal(outcome);
        if (sortRows(table).join('\n') !== sortRows(before).join('\n')) figures.loader.partialLoads++;
        expect(sortRows(table)).toEqual(sortRows(before));
        bump(figures.loader.refusedByCode, outcome.code);
      }),
      { seed: SEED + 1, numRuns: 300 },
    );
    passed.add('loader-arbitrary');
  });

  it('reads past an end-of-data marker line (\\.): the rows after it load, nothing is silently dropped', async () => {
    const lenient = { ...TRANSACTIONS, maxRejects: 3 };
    const ids = [randomUUID(), randomUUID()];
    const text = `transaction_id,customer_external_id,amount,currency,occurred_at,note\n${ids[0]},${ids[0]},1,EUR,2026-01-01,"a\n\\.\nb"\n\\.\n${ids[1]},${ids[1]},2,EUR,2026-01-01,after\n`;
    const { jobId, outcome, table } = await load(lenient, Buffer.from(text), 5);
    expect(outcome).toMatchObject({
      ok: true,
      rowsLoaded: 2,
      rowsRejected: 1,
      rejects: [{ line: 5, column: 'transaction_id', code: 'INVALID_VALUE' }],
    });
    const mine = table.filter((r) => r._job_id === jobId).map((r) => [r.transaction_id, r.note]);
    expect(mine.sort()).toEqual(
      [
        [ids[0], 'a\n\\.\nb'],
        [ids[1], 'after'],
      ].sort(),
    );
    passed.add('loader-eod-marker');
  });
});

// ---------------------------------------------------------------------------------------------
// 2. The real path: POST /uploads → presigned PUT → S3 event → queue → worker → job

const serverErrors: string[] = [];
let alice: string;

interface Answer {
  readonly status: number;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: bodies are checked field by field
  readonly body: any;
}

/** One REST call; every answer of the run is checked for a 5xx here. */
async function call(
  method: string,
  path: string,
  body?: string | Uint8Array,
  contentType = 'application/json',
): Promise<Answer> {
  const res = await fetch(`${stack().apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${alice}`, 'content-type': contentType },
    ...(body !== undefined && { body: typeof body === 'string' ? body : new Uint8Array(body) }),
  });
  const text = await res.text();
  if (res.status >= 500)
    serverErrors.push(`${method} ${path.slice(0, 80)} → ${res.status} ${text.slice(0, 200)}`);
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, text, body: parsed };
}

const HANG_BOUND_MS = 60_000;

/** Polls until the job is terminal; a job that is not within the bound counts as a hang. */
async function waitTerminal(jobId: string): Promise<JobView> {
  const deadline = Date.now() + HANG_BOUND_MS;
  for (;;) {
    const res = await call('GET', `/jobs/${jobId}`);
    expect(res.status).toBe(200);
    const job = JobViewSchema.parse(res.body);
    if (job.finishedAt !== null) return job;
    if (Date.now() > deadline) {
      figures.http.hangs = Number(figures.http.hangs ?? 0) + 1;
      throw new Error(`job ${jobId} still ${job.state} after ${HANG_BOUND_MS} ms: a hang`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

type HttpExpect =
  | {
      readonly state: 'succeeded';
      readonly rows: number;
      readonly values?: readonly TableRow[];
      readonly columns?: readonly string[];
    }
  | {
      readonly state: 'failed';
      readonly codes: readonly ErrorCode[];
      readonly rowErrors?: readonly ExpectedRowError[];
    };

interface HttpCase {
  readonly name: string;
  readonly dataset: DatasetDefinition;
  readonly bytes: Buffer;
  /** The size POST /uploads declares (default: the real size). */
  readonly declared?: number;
  readonly expect: HttpExpect;
  /** Uploaded with `dryRun: true`: validated instead of succeeded, nothing loaded, the same refusals. */
  readonly dryRun?: boolean;
}

/** Every case again as a dry run: it must end the same way (validated for succeeded) and load nothing. */
const asDryRuns = (cases: readonly HttpCase[]): HttpCase[] =>
  cases.map((c) => ({ ...c, name: `${c.name} (dry run)`, dryRun: true }));

const TX = 'transaction_id,customer_external_id,amount,currency,occurred_at,note';
const CU = 'external_id,name,email,credit_limit,orders_count,active,signed_up_at,birth_date';
const txRow = (note = 'ok', amount = '1.00') =>
  `${randomUUID()},${randomUUID()},${amount},EUR,2026-05-01T10:00:00Z,${note}`;
const utf8 = (s: string) => Buffer.from(s, 'utf8');
const csvQuote = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** Formula and SQL look-alikes, and text at its limit: all must load verbatim. */
const NASTY_NOTES = [
  "=cmd|' /C calc'!A0",
  '=HYPERLINK("http://127.0.0.1/x","click")',
  '+SUM(1,2)',
  '-2+3',
  '@SUM(A1:A9)',
  "'); DROP TABLE transactions;--",
  "Robert'); DELETE FROM ingest_jobs;--",
  '$$;COPY transactions FROM PROGRAM $$id',
  '\\.',
  '\\N',
  'NULL',
  '',
  ' leading and trailing spaces ',
  'multi\nline\n\\.\nwith an end-of-data look-alike',
  '🎉'.repeat(500),
  'e\u0301\u202e\u200b\ufeff',
];

function handWrittenCases(): HttpCase[] {
  const ok = (rows: number): HttpExpect => ({ state: 'succeeded', rows });
  const failed = (codes: ErrorCode[], rowErrors?: ExpectedRowError[]): HttpExpect => ({
    state: 'failed',
    codes,
    ...(rowErrors && { rowErrors }),
  });
  const three = `${TX}\n${txRow()}\n${txRow()}\n${txRow()}\n`;
  const ids = NASTY_NOTES.map(() => randomUUID());
  const customer = randomUUID();
  const nasty = `${TX}\r\n${NASTY_NOTES.map((n, i) => `${ids[i]},${customer},0.01,EUR,2026-05-01T10:00:00Z,${n === '' ? '' : csvQuote(n)}`).join('\r\n')}\r\n`;
  const dupKey = randomUUID();
  return [
    {
      // POST /uploads refuses a declared size of 0 (EMPTY_FILE); an empty object under a
      // declared byte is not the file declared.
      name: 'empty file',
      dataset: TRANSACTIONS,
      bytes: utf8(''),
      declared: 1,
      expect: failed(['OBJECT_SMALLER_THAN_DECLARED']),
    },
    { name: 'header only, no line break', dataset: TRANSACTIONS, bytes: utf8(TX), expect: ok(0) },
    { name: 'only a BOM', dataset: TRANSACTIONS, bytes: utf8('\ufeff'), expect: failed(['EMPTY_FILE']) },
    {
      name: 'BOM, blank lines and spaces',
      dataset: TRANSACTIONS,
      bytes: utf8('\ufeff\r\n  \n\t\n'),
      expect: failed(['EMPTY_FILE']),
    },
    {
      name: 'one 1 MiB line without a line break',
      dataset: TRANSACTIONS,
      bytes: Buffer.alloc(1024 * 1024, 'a'),
      expect: failed(['HEADER_MISMATCH'], [{ line: 1, code: 'HEADER_MISMATCH' }]),
    },
    {
      name: 'a header of 10,000 columns',
      dataset: TRANSACTIONS,
      bytes: utf8(`${Array.from({ length: 10_000 }, (_, i) => `c${i}`).join(',')}\n${txRow()}\n`),
      expect: failed(['HEADER_MISMATCH']),
    },
    {
      name: 'a row of 10,000 columns',
      dataset: TRANSACTIONS,
      bytes: utf8(`${TX}\n${txRow()}\n${txRow()}${',x'.repeat(10_000)}\n`),
      expect: failed(['WRONG_COLUMN_COUNT'], [{ line: 3, code: 'WRONG_COLUMN_COUNT' }]),
    },
    {
      name: 'an unterminated quote',
      dataset: TRANSACTIONS,
      bytes: utf8(`${TX}\n${txRow()}\n"${txRow('never closed')}\n${txRow()}\n`),
      expect: failed(['UNCLOSED_QUOTE'], [{ line: 3, code: 'UNCLOSED_QUOTE' }]),
    },
    {
      name: 'mixed line endings',
      dataset: TRANSACTIONS,
      bytes: utf8(`${TX}\r\n${txRow()}\n${txRow()}\r\n${txRow()}\r\n`),
      expect: failed(['WRONG_COLUMN_COUNT']),
    },
    {
      name: 'old Mac CR-only line endings',
      dataset: TRANSACTIONS,
      bytes: utf8(`${TX}\r${txRow()}\r`),
      expect: failed(['HEADER_MISMATCH']),
    },
    {
      name: 'another dataset’s header',
      dataset: TRANSACTIONS,
      bytes: utf8(`${CU}\n${randomUUID()},Ada,,,,,,\n`),
      expect: failed(['HEADER_MISMATCH']),
    },
    {
      name: 'a blank first line',
      dataset: TRANSACTIONS,
      bytes: utf8(`\n${TX}\n${txRow()}\n`),
      expect: failed(['HEADER_MISMATCH']),
    },
    {
      name: 'a repeated header column',
      dataset: TRANSACTIONS,
      bytes: utf8(`${TX},note\n${txRow()},x\n`),
      expect: failed(['HEADER_MISMATCH']),
    },
    {
      name: 'declared size smaller than the object',
      dataset: TRANSACTIONS,
      bytes: utf8(three),
      declared: 50,
      expect: failed(['OBJECT_LARGER_THAN_DECLARED']),
    },
    {
      // S3 refuses such a PUT (the length is signed); s3rver does not check, and a multipart
      // upload can complete without all its parts: the worker refuses any size but the declared.
      name: 'declared size larger than the object',
      dataset: TRANSACTIONS,
      bytes: utf8(three),
      declared: Buffer.byteLength(three) + 1000,
      expect: failed(['OBJECT_SMALLER_THAN_DECLARED']),
    },
    {
      name: 'Latin-1, not UTF-8',
      dataset: TRANSACTIONS,
      bytes: Buffer.concat([utf8(`${TX}\n${txRow()}\n${txRow('caf')}`), Buffer.from([0xe9]), utf8('\n')]),
      expect: failed(['NOT_UTF8'], [{ line: 3, code: 'NOT_UTF8' }]),
    },
    {
      name: 'UTF-16 with a BOM',
      dataset: TRANSACTIONS,
      bytes: Buffer.from(`\ufeff${TX}\r\n${txRow()}\r\n`, 'utf16le'),
      expect: failed(['NOT_UTF8']),
    },
    {
      name: 'a NUL byte mid-file',
      dataset: TRANSACTIONS,
      bytes: utf8(`${TX}\n${txRow()}\n${txRow('a\u0000b')}\n`),
      expect: failed(['NOT_UTF8'], [{ line: 3, code: 'NOT_UTF8' }]),
    },
    {
      name: 'an end-of-data marker line (\\.) before more rows',
      dataset: TRANSACTIONS,
      bytes: utf8(`${TX}\n${txRow()}\n\\.\n${txRow()}\n`),
      // PostgreSQL 18 reads `\\.` in CSV as data, not as the end of the input: a one-field row.
      expect: failed(['INVALID_VALUE'], [{ line: 3, code: 'INVALID_VALUE', column: 'transaction_id' }]),
    },
    {
      name: 'one good row and one bad value',
      dataset: TRANSACTIONS,
      bytes: utf8(`${TX}\n${txRow()}\n${txRow('x', '"12,5"')}\n`),
      expect: failed(['INVALID_VALUE'], [{ line: 3, code: 'INVALID_VALUE', column: 'amount' }]),
    },
    {
      name: 'a value one space too long',
      dataset: TRANSACTIONS,
      bytes: utf8(`${TX}\n${txRow(`${'x'.repeat(500)} `)}\n`),
      expect: failed(['VALUE_TOO_LONG'], [{ line: 2, code: 'VALUE_TOO_LONG', column: 'note' }]),
    },
    {
      name: 'formula injection and SQL-ish text, kept verbatim',
      dataset: TRANSACTIONS,
      bytes: utf8(nasty),
      expect: {
        state: 'succeeded',
        rows: NASTY_NOTES.length,
        columns: ['transaction_id', 'note'],
        values: NASTY_NOTES.map((n, i) => ({ transaction_id: ids[i] as string, note: n === '' ? null : n })),
      },
    },
    {
      name: 'a key twice in an upsert file',
      dataset: CUSTOMERS,
      bytes: utf8(`${CU}\n${dupKey},Ada,,,,,,\n${dupKey.toUpperCase()},Ada again,,,,,,\n`),
      expect: failed(['DUPLICATE_KEY'], [{ line: 3, code: 'DUPLICATE_KEY', column: 'external_id' }]),
    },
    {
      name: '1,000 trailing blank lines',
      dataset: TRANSACTIONS,
      bytes: utf8(`${TX}\n${txRow()}\n${'\n'.repeat(1000)}`),
      expect: ok(1),
    },
    {
      name: '10,000 rows',
      dataset: TRANSACTIONS,
      bytes: utf8(`${TX}\n${Array.from({ length: 10_000 }, (_, i) => txRow(`row ${i}`)).join('\n')}\n`),
      expect: ok(10_000),
    },
    {
      name: 'a replace file with only its header',
      dataset: PRICE_LIST,
      bytes: utf8('sku,price,currency,valid_from\n'),
      expect: ok(0),
    },
  ];
}

/** Generated files (the loader property's model) through the whole path, with the same oracle. */
function sampledCases(): HttpCase[] {
  const empty: Baseline = { jobId: BASELINE_JOB, rows: {} };
  return DATASETS.flatMap((d) =>
    fc
      .sample(fileSpecOf(d), { seed: SEED + 2 + DATASETS.indexOf(d), numRuns: 4 })
      .map((spec, i): HttpCase => {
        const file = renderFile(spec, empty);
        const e = file.expected;
        return {
          name: `generated ${d.name} #${i + 1}`,
          dataset: d,
          bytes: file.bytes,
          expect: e.ok
            ? { state: 'succeeded', rows: e.rows.length, values: e.rows, columns: spec.columns }
            : { state: 'failed', codes: e.codes, ...(e.rowErrors && { rowErrors: e.rowErrors }) },
        };
      }),
  );
}

/** Runs one case through the real path and checks its one terminal state against the oracle. */
async function runHttpCase(c: HttpCase): Promise<string> {
  const created = await call(
    'POST',
    '/uploads',
    JSON.stringify({
      dataset: c.dataset.name,
      fileName: 'hostile.csv',
      sizeBytes: c.declared ?? c.bytes.byteLength,
      ...(c.dryRun && { dryRun: true }),
    }),
  );
  expect(created.status, `${c.name}: ${created.text}`).toBe(201);
  const { jobId, upload } = SinglePutUploadResponseSchema.parse(created.body);
  const put = await fetch(upload.url, {
    method: 'PUT',
    headers: upload.headers,
    body: new Uint8Array(c.bytes),
  });
  await put.arrayBuffer();
  expect(put.status, c.name).toBe(200);
  const job = await waitTerminal(jobId);
  const label = `${c.name}: ${JSON.stringify(job.error).slice(0, 500)}`;
  const mine = await readPublic(c.dataset, jobId);
  const errors = await call('GET', `/jobs/${jobId}/errors`);
  expect(errors.status, label).toBe(200);
  const report = JobErrorsSchema.parse(errors.body);
  if (c.expect.state === 'succeeded' && c.dryRun) {
    expect(job, label).toMatchObject({
      state: 'validated',
      rowsLoaded: c.expect.rows,
      rowsRejected: 0,
      error: null,
    });
    expect(mine, `${label}: rows of a dry run`).toHaveLength(0);
    return 'validated';
  }
  if (c.expect.state === 'succeeded') {
    expect(job, label).toMatchObject({
      state: 'succeeded',
      rowsLoaded: c.expect.rows,
      rowsRejected: 0,
      error: null,
    });
    expect(mine, label).toHaveLength(c.expect.rows);
    if (c.expect.values) {
      const columns = c.expect.columns ?? c.dataset.columns.map((col) => col.name);
      const project = (rows: readonly TableRow[]) =>
        sortRows(rows.map((r) => Object.fromEntries(columns.map((k) => [k, r[k] ?? null]))));
      expect(project(mine), label).toEqual(project(c.expect.values));
    }
    return 'loaded';
  }
  expect(job.state, label).toBe('failed');
  const code = job.error?.code as ErrorCode;
  expect(c.expect.codes, label).toContain(code);
  expect(code).not.toBe('INTERNAL');
  expect(job.error?.message.length ?? 0).toBeGreaterThan(10);
  expect(job.error?.message.length ?? 0, label.slice(0, 300)).toBeLessThan(4096);
  expect(mine, `${label}: rows of a failed job`).toHaveLength(0);
  if (c.expect.rowErrors) {
    // The job row keeps the first few; the reject report (a presigned GET) has them all.
    const pick = (e: { line: number; column?: string | undefined; code?: ErrorCode }) => ({
      line: e.line,
      ...(e.column === undefined ? {} : { column: e.column }),
      ...(e.code === undefined ? {} : { code: e.code }),
    });
    const expected = c.expect.rowErrors.map(pick);
    const shown = report.rowErrors.map(pick);
    expect(shown, label).toEqual(expected.slice(0, shown.length).map(({ code: _, ...e }) => e));
    expect(shown.length, label).toBeGreaterThanOrEqual(Math.min(expected.length, 1));
    expect(report.report, label).not.toBeNull();
    const full = await fetch(report.report?.url as string);
    expect(full.status, label).toBe(200);
    const document = RejectReportSchema.parse(await full.json());
    expect(document.error?.code, label).toBe(code);
    expect(document.rowErrors.map(pick), label).toEqual(expected);
  }
  return `${c.dryRun ? 'dry run ' : ''}refused ${code}`;
}

async function readPublic(d: DatasetDefinition, jobId: string): Promise<TableRow[]> {
  const { rows } = await publicDb.query(
    `SELECT ${d.columns.map(columnExpr).join(', ')} FROM public.${d.table} WHERE _job_id = $1`,
    [jobId],
  );
  return rows as TableRow[];
}

let publicDb: pg.Client;

/** Runs cases with `width` at a time; `replace` files one after another (each empties the table). */
async function runAll(cases: readonly HttpCase[], width: number): Promise<Record<string, number>> {
  const outcomes: Record<string, number> = {};
  const serial = cases.filter((c) => c.dataset.mode === 'replace');
  const parallel = cases.filter((c) => c.dataset.mode !== 'replace');
  const lane = async (queue: HttpCase[]) => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) bump(outcomes, await runHttpCase(c));
  };
  const shared = [...parallel];
  await Promise.all([lane([...serial]), ...Array.from({ length: width }, () => lane(shared))]);
  return outcomes;
}

/** POST /uploads bodies no client should send; each must get a 4xx with a catalogued code. */
function hostileUploadBodies(): [
  label: string,
  body: string | Uint8Array,
  contentType: string,
  statuses: number[],
  codes: ErrorCode[],
][] {
  const json = 'application/json';
  const base = { dataset: 'transactions', fileName: 'a.csv', sizeBytes: 10 };
  const j = (o: unknown) => JSON.stringify(o);
  const v: ErrorCode[] = ['VALIDATION_FAILED'];
  const name = (fileName: string): [string, string, string, number[], ErrorCode[]] => [
    `fileName ${JSON.stringify(fileName).slice(0, 40)}`,
    j({ ...base, fileName }),
    json,
    [400],
    ['INVALID_FILE_NAME'],
  ];
  return [
    ['empty body', '', json, [400], ['BAD_REQUEST']],
    [
      'form-encoded',
      'dataset=transactions&fileName=a.csv&sizeBytes=10',
      'application/x-www-form-urlencoded',
      [400],
      ['BAD_REQUEST'],
    ],
    ['truncated JSON', '{"dataset":', json, [400], ['BAD_REQUEST']],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), json, [400], ['BAD_REQUEST']],
    ['JSON null', 'null', json, [400], v],
    ['JSON array', '[]', json, [400], v],
    ['JSON string', '"transactions"', json, [400], v],
    ['JSON number', '42', json, [400], v],
    ['empty object', '{}', json, [400], v],
    ['wrong types', j({ dataset: 1, fileName: [], sizeBytes: '10' }), json, [400], v],
    ['size as a string', j({ ...base, sizeBytes: '10' }), json, [400], v],
    ['fractional size', j({ ...base, sizeBytes: 10.5 }), json, [400], v],
    ['negative size', j({ ...base, sizeBytes: -1 }), json, [400], v],
    ['size 1e21', j({ ...base, sizeBytes: 1e21 }), json, [400, 413], ['VALIDATION_FAILED', 'FILE_TOO_LARGE']],
    [
      'size past 2^53',
      '{"dataset":"transactions","fileName":"a.csv","sizeBytes":9007199254740993}',
      json,
      [400, 413],
      ['VALIDATION_FAILED', 'FILE_TOO_LARGE'],
    ],
    [
      'size 1e400 (Infinity)',
      '{"dataset":"transactions","fileName":"a.csv","sizeBytes":1e400}',
      json,
      [400],
      v,
    ],
    [
      'size -0',
      '{"dataset":"transactions","fileName":"a.csv","sizeBytes":-0}',
      json,
      [400],
      ['EMPTY_FILE', 'VALIDATION_FAILED'],
    ],
    ['size 0', j({ ...base, sizeBytes: 0 }), json, [400], ['EMPTY_FILE']],
    [
      'size over the dataset limit',
      j({ ...base, sizeBytes: 3 * 1024 ** 3 }),
      json,
      [413],
      ['FILE_TOO_LARGE'],
    ],
    ['unknown dataset', j({ ...base, dataset: 'payroll' }), json, [400], ['UNKNOWN_DATASET']],
    ['dataset __proto__', j({ ...base, dataset: '__proto__' }), json, [400], ['UNKNOWN_DATASET']],
    ['dataset constructor', j({ ...base, dataset: 'constructor' }), json, [400], ['UNKNOWN_DATASET']],
    ['dataset in upper case', j({ ...base, dataset: 'TRANSACTIONS' }), json, [400], ['UNKNOWN_DATASET']],
    ['dataset with a NUL', j({ ...base, dataset: 'transactions\u0000' }), json, [400], ['UNKNOWN_DATASET']],
    [
      'dataset of 1 MiB',
      j({ ...base, dataset: 'x'.repeat(1024 * 1024) }),
      json,
      [400],
      ['UNKNOWN_DATASET', 'VALIDATION_FAILED'],
    ],
    name('../../etc/passwd.csv'),
    name('..\\..\\x.csv'),
    name('/abs.csv'),
    name('C:\\x.csv'),
    name('a\u0000.csv'),
    name('a\n.csv'),
    name('invoice\u202Evsc.csv'),
    name(`${'x'.repeat(256)}.csv`),
    name('.csv'),
    name(' .csv'),
    name('a.csv.exe'),
    name(''),
    [
      'fileName a lone surrogate',
      '{"dataset":"transactions","fileName":"\\ud800.csv","sizeBytes":10}',
      json,
      [400],
      ['INVALID_FILE_NAME'],
    ],
    ['an extra property', j({ ...base, admin: true }), json, [400], v],
    [
      'a __proto__ key',
      '{"__proto__":{"admin":true},"dataset":"transactions","fileName":"a.csv","sizeBytes":10}',
      json,
      [400],
      v,
    ],
    [
      'a repeated key (the last wins)',
      '{"dataset":"transactions","dataset":"payroll","fileName":"a.csv","sizeBytes":10}',
      json,
      [400],
      ['UNKNOWN_DATASET'],
    ],
    [
      '100,000 nested arrays',
      `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      json,
      [400],
      ['BAD_REQUEST', 'VALIDATION_FAILED'],
    ],
    [
      '11 MiB of JSON',
      j({ ...base, dataset: 'a'.repeat(11 * 1024 * 1024) }),
      json,
      [413],
      ['PAYLOAD_TOO_LARGE'],
    ],
  ];
}

describe('the upload and job endpoints under hostile files and bodies (local stack)', () => {
  beforeAll(async () => {
    alice = await issueToken('alice');
    publicDb = new pg.Client({ connectionString: stack().postgres.connectionString });
    await publicDb.connect();
  });
  afterAll(() => publicDb?.end());

  it('takes every file to ONE terminal state within the bound: a correct load or a clear error, never partial', async () => {
    const hand = handWrittenCases();
    const sampled = sampledCases();
    // Every nasty file twice: loaded, and as a dry run (the same error report, the table untouched).
    const outcomes = await runAll([...hand, ...sampled, ...asDryRuns([...hand, ...sampled])], 4);
    expect(serverErrors).toEqual([]);
    figures.http.files = {
      handWritten: hand.length,
      generated: sampled.length,
      dryRuns: hand.length + sampled.length,
      outcomes,
    };
    passed.add('http-files');
  });

  it('answers hostile POST /uploads bodies with a 4xx and a stable code, never a 5xx', async () => {
    const bodies = hostileUploadBodies();
    const codes: Record<string, number> = {};
    for (const [label, body, contentType, statuses, expected] of bodies) {
      const res = await call('POST', '/uploads', body, contentType);
      expect(statuses, `${label}: ${res.status} ${res.text.slice(0, 300)}`).toContain(res.status);
      expect(isErrorEnvelope(res.body), `${label}: ${res.text.slice(0, 300)}`).toBe(true);
      expect(expected, `${label}: ${res.text.slice(0, 300)}`).toContain(res.body.code);
      // A hostile body cannot make the answer large (values are never echoed whole).
      expect(res.text.length, label).toBeLessThan(4096);
      bump(codes, `${res.status} ${res.body.code}`);
    }
    // Other hostile requests on the same routes.
    const more: [string, string, number][] = [
      ['GET', '/jobs/not-a-uuid', 404],
      ['GET', `/jobs/${'9'.repeat(5000)}`, 404],
      ['GET', '/jobs/%00', 404],
      ['GET', '/jobs/..%2f..%2fadmin', 404],
      ['GET', `/jobs/${randomUUID()}/errors`, 404],
      ['GET', '/jobs?limit=abc', 400],
      ['GET', '/jobs?limit=1000000000000', 400],
      ['GET', '/jobs?limit=-1', 400],
      ['GET', `/jobs?cursor=${'x'.repeat(300)}`, 400],
      ['GET', '/jobs?cursor=%00%ff', 400],
    ];
    for (const [method, path, status] of more) {
      const res = await call(method, path);
      expect(res.status, `${method} ${path.slice(0, 60)}: ${res.text.slice(0, 200)}`).toBe(status);
      expect(isErrorEnvelope(res.body)).toBe(true);
      bump(codes, `${res.status} ${res.body.code}`);
    }
    expect(serverErrors).toEqual([]);
    figures.http.hostileBodies = { cases: bodies.length + more.length, answers: codes };
    passed.add('http-bodies');
  });
});

// ---------------------------------------------------------------------------------------------
// 3. File paths against POST /files/links, with SRV-GW's request log as the witness

const SUBS = Object.fromEntries(DEV_USERS.map((u) => [u.username, u.sub]));
const GRANTED = ['reports/', 'public/', `users/${SUBS.alice}/`];
/** Prefixes alice has no grant for, or that are no prefix at all. */
const OTHER_PREFIXES = [
  `users/${SUBS.bob}/`,
  '',
  '/',
  '//',
  'Reports/',
  'secret/',
  './reports/',
  'reports\\',
  'http://127.0.0.1:1/',
  'file:///',
];

const srvgw = {
  async get(path: string): Promise<unknown> {
    const { url, credential } = stack().srvgw;
    const res = await fetch(`${url}/_control${path}`, { headers: { authorization: `Bearer ${credential}` } });
    if (!res.ok) throw new Error(`SRV-GW control ${path}: ${res.status}`);
    return res.json();
  },
  /** Clears every injected fault: the paths here must meet SRV-GW as it normally answers. */
  async clearFaults(): Promise<void> {
    const { url, credential } = stack().srvgw;
    const res = await fetch(`${url}/_control/faults`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${credential}` },
    });
    if (!res.ok) throw new Error(`SRV-GW control DELETE /faults: ${res.status}`);
  },
  /** Requests SRV-GW received whose raw target contains `marker`. */
  async requestsContaining(marker: string): Promise<number> {
    return ((await srvgw.get(`/requests?contains=${encodeURIComponent(marker)}`)) as { count: number }).count;
  },
  /** Requests SRV-GW served for exactly this (decoded) path. */
  async hits(path: string): Promise<number> {
    return ((await srvgw.get(`/stats?path=${encodeURIComponent(path)}`)) as { hits: number }).hits;
  },
};

const LINK_STATUSES = new Map<number, ErrorCode | undefined>([
  [200, undefined],
  [202, undefined],
  [400, 'INVALID_PATH'],
  [403, 'PATH_NOT_ALLOWED'],
  [404, 'FILE_NOT_FOUND'],
  [413, 'FILE_TOO_LARGE'],
  [415, 'UNSUPPORTED_CONTENT_TYPE'],
]);

describe('POST /files/links under hostile paths (local stack, SRV-GW as witness)', () => {
  const run = randomUUID().replaceAll('-', '').slice(0, 8);
  let n = 0;
  const answers: Record<string, number> = {};

  // The hardening files share one stack and run one after another; a fault another file left
  // behind would turn a 404 into a 503 here.
  beforeAll(() => srvgw.clearFaults());

  /** One path: a documented answer, and SRV-GW saw it only if it was accepted, as normalised. */
  async function check(path: string, marker: string): Promise<number> {
    const res = await call('POST', '/files/links', JSON.stringify({ path, waitMs: 10_000 }));
    const label = `${JSON.stringify(path).slice(0, 200)} → ${res.status} ${res.text.slice(0, 200)}`;
    expect(LINK_STATUSES.has(res.status), label).toBe(true);
    const code = LINK_STATUSES.get(res.status);
    if (code !== undefined) expect(res.body?.code, label).toBe(code);
    bump(answers, `${res.status}${code ? ` ${code}` : ''}`);
    const seen = await srvgw.requestsContaining(marker);
    if (res.status === 400 || res.status === 403) {
      expect(seen, `${label}: refused, yet SRV-GW saw it`).toBe(0);
    } else {
      // Forwarded: SRV-GW decoded exactly the NFC-normalised path (no double decoding, no
      // escape mistakes), and its own path rules found nothing to refuse.
      expect(seen, label).toBeGreaterThan(0);
      expect(await srvgw.hits(path.normalize('NFC')), label).toBeGreaterThan(0);
    }
    return res.status;
  }

  it('answers generated paths with a documented status; what it refuses never reaches SRV-GW', async () => {
    let mustRefuse = 0;
    let plain = 0;
    await fc.assert(
      fc.asyncProperty(pathCaseOf(GRANTED, OTHER_PREFIXES), async (c) => {
        const marker = `HX${run}N${n++}Q7`;
        const path = pathOf(c, marker);
        const status = await check(path, marker);
        if (mustBeRefused(path)) {
          mustRefuse++;
          expect(status, JSON.stringify(path)).toBe(400);
        }
        if (plainlyFine(path, GRANTED)) {
          plain++;
          expect(status, JSON.stringify(path)).toBe(404);
        }
      }),
      { seed: SEED + 10, numRuns: 300 },
    );
    figures.paths.generated = { cases: 300, mustRefuse, plainlyFine: plain };
    passed.add('paths-generated');
  });

  it('refuses the traversal corpus and normalisation tricks, and serves real files', async () => {
    const marker = `HX${run}T`;
    const corpus = traversalCorpus(marker);
    for (const [label, path] of corpus) {
      const res = await call('POST', '/files/links', JSON.stringify({ path }));
      expect([label, res.status, res.body?.code]).toEqual([label, 400, 'INVALID_PATH']);
    }
    expect(await srvgw.requestsContaining(marker)).toBe(0);
    // Normalisation: the decomposed é reaches SRV-GW composed (NFC), exactly once as one name.
    const nfdMarker = `HX${run}U`;
    expect(await check(`public/${nfdMarker}-e\u0301.txt`, nfdMarker)).toBe(404);
    // Real sample files: a link.
    const real = ['public/readme.txt', 'reports/2026/q3-summary.csv'];
    for (const path of real) {
      const res = await call('POST', '/files/links', JSON.stringify({ path }));
      expect([path, res.status]).toEqual([path, 200]);
    }
    // Hostile bodies on the same route.
    const bodies = [
      '',
      '{}',
      '{"path":1}',
      '{"path":null}',
      '{"path":["a"]}',
      '{"path":"public/readme.txt","waitMs":-1}',
      '{"path":"public/readme.txt","waitMs":1e9}',
      '{"path":"public/readme.txt","x":1}',
      'path=public/readme.txt',
    ];
    for (const body of bodies) {
      const res = await call('POST', '/files/links', body);
      expect([body, res.status], res.text).toEqual([body, 400]);
      expect(['BAD_REQUEST', 'VALIDATION_FAILED']).toContain(res.body?.code);
    }
    expect(serverErrors).toEqual([]);
    figures.paths.handWritten = {
      traversalCorpus: corpus.length,
      normalisation: 1,
      realFiles: real.length,
      hostileBodies: bodies.length,
    };
    figures.paths.answers = answers;
    passed.add('paths-corpus');
  });
});

afterAll(() => {
  // Figures only when every test of the file passed: a failed section records nothing.
  figures.http.serverErrors = serverErrors.length;
  if (passed.size === TESTS) recordFigures('hostile-input', figures);
});
