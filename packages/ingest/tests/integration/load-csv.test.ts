import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { migrate } from '@herald/runtime/migrations';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { loadCsv } from '../../src/adapters/pg-csv-loader.ts';
import { CsvLoadError } from '../../src/core/csv-errors.ts';
import type { LoadOutcome, LoadProgress } from '../../src/core/load-contract.ts';
import { type DatasetDefinition, datasetTableSql, planMigration } from '../../src/datasets/index.ts';
import {
  CUSTOMERS,
  PRICE_LIST,
  SAMPLE_DATASETS,
  SAMPLE_MIGRATIONS,
  TRANSACTIONS,
} from '../support/sample-datasets.ts';

const { postgres } = inject('stack' as never) as { postgres: { connectionString: string } };
const schema = `t_load_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
let client: pg.Client;

async function connect(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: postgres.connectionString });
  await c.connect();
  await c.query(`SET search_path TO ${schema}`);
  return c;
}

beforeAll(async () => {
  client = new pg.Client({ connectionString: postgres.connectionString });
  await client.connect();
  await migrate(client, { schema, sources: SAMPLE_MIGRATIONS });
  await client.query(`SET search_path TO ${schema}`);
  // Session settings unlike the loader's, so its rules (no zone = UTC, dates read year-first)
  // are proven rather than inherited from the server's defaults.
  await client.query("SET TimeZone = 'America/New_York'");
  await client.query("SET DateStyle = 'ISO, MDY'");
});

afterAll(async () => {
  await client.query(`DROP SCHEMA ${schema} CASCADE`);
  await client.end();
});

/** The input as a stream of small chunks, so every boundary case (BOM, CRLF, quotes) is crossed. */
async function* chunks(input: string | Buffer, size = 7): AsyncGenerator<Uint8Array> {
  const bytes = typeof input === 'string' ? Buffer.from(input) : input;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/**
 * Runs a load the way the worker does: BEGIN, loadCsv, then COMMIT on success or ROLLBACK on a
 * refusal. Also checks the contract that a refusal leaves the caller's transaction usable.
 */
async function load(
  dataset: DatasetDefinition,
  input: string | Buffer,
  jobId = randomUUID(),
): Promise<LoadOutcome> {
  await client.query('BEGIN');
  try {
    const outcome = await loadCsv(client, { jobId, dataset, source: chunks(input) });
    await client.query('SELECT 1'); // still usable after a refusal (the loader rolled back to its savepoint)
    await client.query(outcome.ok ? 'COMMIT' : 'ROLLBACK');
    return outcome;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/** A fingerprint of a table's whole content. */
async function snapshot(table: string): Promise<string> {
  const { rows } = await client.query(
    `SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS s FROM ${table} t`,
  );
  return (rows[0] as { s: string }).s;
}

function failed(outcome: LoadOutcome) {
  if (outcome.ok) throw new Error(`expected a refusal, got ${JSON.stringify(outcome)}`);
  return outcome;
}

const TX_HEADER = 'transaction_id,customer_external_id,amount,currency,occurred_at,note';
const U1 = '00000000-0000-4000-8000-000000000001';
const U2 = '00000000-0000-4000-8000-000000000002';
const U3 = '00000000-0000-4000-8000-000000000003';
const tx = (id: string, amount = '1.00', extra = ',EUR,2024-05-01T10:00:00Z,') =>
  `${id},${U1},${amount}${extra}`;

describe('loadCsv: accepted input', () => {
  beforeEach(async () => {
    await client.query('TRUNCATE transactions, customers, price_list');
  });

  it('loads exact values and types, with _job_id on every row', async () => {
    const jobId = randomUUID();
    const outcome = await load(
      TRANSACTIONS,
      `${TX_HEADER}\n${U1},${U2},12.34,EUR,2024-05-01T10:00:00Z,first\n${U2},${U3},-0.5,USD,2024-05-01 12:30:00+02,\n`,
      jobId,
    );
    expect(outcome).toEqual({ ok: true, rowsLoaded: 2, rowsRejected: 0, rejects: [] });
    const { rows } = await client.query(
      `SELECT transaction_id::text, customer_external_id::text, amount::text, currency, occurred_at, note, _job_id::text
       FROM transactions ORDER BY amount DESC`,
    );
    expect(rows).toEqual([
      {
        transaction_id: U1,
        customer_external_id: U2,
        amount: '12.34',
        currency: 'EUR',
        occurred_at: new Date('2024-05-01T10:00:00Z'),
        note: 'first',
        _job_id: jobId,
      },
      {
        transaction_id: U2,
        customer_external_id: U3,
        amount: '-0.5',
        currency: 'USD',
        occurred_at: new Date('2024-05-01T10:30:00Z'),
        note: null,
        _job_id: jobId,
      },
    ]);
  });

  it('accepts a BOM, CRLF, a header in other case/order/spacing, quoted commas, quotes and line breaks, trailing blank lines', async () => {
    const csv =
      '\uFEFF Note ,AMOUNT,Currency,occurred_at,Transaction_ID,customer_external_id\r\n' +
      `"a, b",1.10,EUR,2024-01-01T00:00:00Z,${U1},${U2}\r\n` +
      `"say ""hi""",2.20,EUR,2024-01-01T00:00:00Z,${U2},${U2}\r\n` +
      `"two\r\nlines",3.30,EUR,2024-01-01T00:00:00Z,${U3},${U2}\r\n` +
      '\r\n\r\n';
    const outcome = await load(TRANSACTIONS, csv);
    expect(outcome).toMatchObject({ ok: true, rowsLoaded: 3 });
    const { rows } = await client.query('SELECT note, amount::text FROM transactions ORDER BY amount');
    expect(rows).toEqual([
      { note: 'a, b', amount: '1.10' },
      { note: 'say "hi"', amount: '2.20' },
      { note: 'two\r\nlines', amount: '3.30' },
    ]);
  });

  it('reads booleans, numbers, dates and timestamps as documented; empty optional fields are NULL', async () => {
    const header = 'external_id,name,active,credit_limit,orders_count,signed_up_at,birth_date,email';
    const spellings = ['true', 'FALSE', 't', 'F', '1', '0', 'yes', 'No'];
    const lines = spellings.map(
      (b, i) =>
        `00000000-0000-4000-8000-00000000001${i},n${i},${b},12.340,${i},2024-03-01T08:00:00,2000-02-29,`,
    );
    lines.push(`00000000-0000-4000-8000-000000000020,"nulls",,,"",,,""`);
    lines.push(
      `00000000-0000-4000-8000-000000000021,zoned,,1e3,-7,2024-03-01T08:00:00+05:30,1999-12-31,a@b.c`,
    );
    const outcome = await load(CUSTOMERS, `${header}\n${lines.join('\n')}\n`);
    expect(outcome).toMatchObject({ ok: true, rowsLoaded: 10 });
    const { rows } = await client.query(
      `SELECT name, active, credit_limit::text AS credit, orders_count AS n, signed_up_at AS at,
              birth_date::text AS born, email
       FROM customers ORDER BY external_id`,
    );
    expect(rows.slice(0, 8).map((r: { active: boolean }) => r.active)).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
    expect(rows[0]).toEqual({
      name: 'n0',
      active: true,
      credit: '12.340', // exact at scale 2: accepted, never rounded
      n: 0,
      at: new Date('2024-03-01T08:00:00Z'), // no zone: UTC
      born: '2000-02-29',
      email: null,
    });
    expect(rows[8]).toEqual({
      name: 'nulls',
      active: null,
      credit: null,
      n: null,
      at: null,
      born: null,
      email: null,
    });
    expect(rows[9]).toMatchObject({
      credit: '1000',
      n: -7,
      at: new Date('2024-03-01T02:30:00Z'),
      email: 'a@b.c',
    });
  });

  it("restores the caller's TimeZone and DateStyle after the load", async () => {
    await client.query('BEGIN');
    await loadCsv(client, {
      jobId: randomUUID(),
      dataset: TRANSACTIONS,
      source: chunks(`${TX_HEADER}\n${tx(U1)}\n`),
    });
    const { rows } = await client.query(
      "SELECT current_setting('TimeZone') AS tz, current_setting('DateStyle') AS ds",
    );
    await client.query('ROLLBACK');
    expect(rows).toEqual([{ tz: 'America/New_York', ds: 'ISO, MDY' }]);
  });

  it('loads a header-only file as zero rows', async () => {
    expect(await load(TRANSACTIONS, `${TX_HEADER}\r\n`)).toEqual({
      ok: true,
      rowsLoaded: 0,
      rowsRejected: 0,
      rejects: [],
    });
    expect(await load(TRANSACTIONS, TX_HEADER)).toMatchObject({ ok: true, rowsLoaded: 0 });
  });

  it('loads a file whose last line has no line break, and one that leaves out an optional column', async () => {
    const header = TX_HEADER.replace(',note', '');
    expect(await load(TRANSACTIONS, `${header}\n${U1},${U2},1,EUR,2024-05-01`)).toMatchObject({
      ok: true,
      rowsLoaded: 1,
    });
    const { rows } = await client.query('SELECT note, occurred_at FROM transactions');
    expect(rows).toEqual([{ note: null, occurred_at: new Date('2024-05-01T00:00:00Z') }]);
  });

  it('reports progress as bytes flow', async () => {
    const body = Array.from({ length: 2000 }, (_, i) => tx(U1, `${i}.00`)).join('\n');
    const csv = `${TX_HEADER}\n${body}\n`;
    const seen: LoadProgress[] = [];
    await client.query('BEGIN');
    const outcome = await loadCsv(client, {
      jobId: randomUUID(),
      dataset: TRANSACTIONS,
      source: chunks(csv, 4096),
      onProgress: (p) => seen.push(p),
    });
    await client.query('COMMIT');
    expect(outcome).toMatchObject({ ok: true, rowsLoaded: 2000 });
    expect(seen.length).toBeGreaterThan(5);
    expect(seen.at(-1)).toEqual({ bytesRead: Buffer.byteLength(csv), rowsProcessed: 2000 });
    const bytes = seen.map((p) => p.bytesRead);
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
  });
});

describe('loadCsv: refused input leaves the table unchanged', () => {
  let before: string;

  beforeAll(async () => {
    await client.query('TRUNCATE transactions');
    await load(TRANSACTIONS, `${TX_HEADER}\n${tx(U1)}\n${tx(U2)}\n`);
    before = await snapshot('transactions');
  });

  async function refused(input: string | Buffer, dataset: DatasetDefinition = TRANSACTIONS) {
    const outcome = failed(await load(dataset, input));
    expect(await snapshot('transactions')).toBe(before);
    return outcome;
  }

  it('refuses a byte sequence that is not UTF-8 (NOT_UTF8, line)', async () => {
    const csv = Buffer.concat([
      Buffer.from(`${TX_HEADER}\n${tx(U1)}\n${U1},${U2},1,EUR,2024-05-01,caf`),
      Buffer.from([0xe9, 0x0a]),
    ]);
    const outcome = await refused(csv);
    expect([outcome.code, outcome.rowErrors[0]?.line]).toEqual(['NOT_UTF8', 3]);
    expect(outcome.message).toBe('line 3: the line is not valid UTF-8 text (save the file as CSV UTF-8)');
  });

  it('refuses NUL bytes, binary files and UTF-16 (NOT_UTF8)', async () => {
    const nul = await refused(`${TX_HEADER}\n${tx(U1)}\n${tx(U2)}\0junk\n`);
    expect([nul.code, nul.rowErrors[0]?.line]).toEqual(['NOT_UTF8', 3]);
    const png = await refused(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]));
    expect(png.code).toBe('NOT_UTF8');
    const utf16 = await refused(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${TX_HEADER}\n`, 'utf16le')]),
    );
    expect([utf16.code, utf16.message]).toEqual([
      'NOT_UTF8',
      'line 1: the file is UTF-16 text; save it as UTF-8 (CSV UTF-8)',
    ]);
  });

  it('refuses an empty file (EMPTY_FILE)', async () => {
    for (const input of ['', '\uFEFF', '\r\n\r\n']) {
      expect((await refused(input)).code).toBe('EMPTY_FILE');
    }
  });

  it('refuses an unclosed quote on the line where it opens (UNCLOSED_QUOTE)', async () => {
    const outcome = await refused(
      `${TX_HEADER}\n${tx(U1)}\n${tx(U2, '1', ',EUR,2024-05-01,"open')}\n${tx(U3)}\n`,
    );
    expect(outcome).toMatchObject({
      code: 'UNCLOSED_QUOTE',
      message: 'line 3: a quoted field starts here and is never closed',
    });
  });

  it('refuses rows with too few or too many fields (WRONG_COLUMN_COUNT), naming the missing column', async () => {
    const few = await refused(`${TX_HEADER}\n${tx(U1)}\n${U1},${U2},1,EUR\n`);
    expect(few.rowErrors[0]).toMatchObject({ code: 'WRONG_COLUMN_COUNT', line: 3, column: 'occurred_at' });
    const many = await refused(`${TX_HEADER}\n${tx(U1)}\n${tx(U2)},extra\n`);
    expect(many.message).toBe("line 3: the row has more fields than the header's 6");
  });

  it('refuses mixed line endings with a sentence that says so', async () => {
    const outcome = await refused(`${TX_HEADER}\r\n${tx(U1)}\n${tx(U2)}\r\n`);
    expect(outcome.code).toBe('WRONG_COLUMN_COUNT');
    expect(outcome.message).toMatch(/mixes Windows \(CRLF\) and Unix \(LF\) line endings/);
  });

  it('refuses values of the wrong type (INVALID_VALUE) with line, column, value and reason', async () => {
    const outcome = await refused(`${TX_HEADER}\n${tx(U1)}\n${U2},${U1},"12,5",EUR,2024-05-01,\n`);
    expect(outcome.message).toBe(
      "line 3, column amount: '12,5' is not a number (use a dot as the decimal separator)",
    );
    expect(outcome.rowErrors).toEqual([
      {
        line: 3,
        column: 'amount',
        value: '12,5',
        code: 'INVALID_VALUE',
        reason: "'12,5' is not a number (use a dot as the decimal separator)",
      },
    ]);
    const cases: [string, string, string][] = [
      [`not-a-uuid,${U1},1,EUR,2024-05-01,`, 'transaction_id', "'not-a-uuid' is not a UUID"],
      [`${U1},${U1},1,EUR,2024-02-30,`, 'occurred_at', "'2024-02-30' is not a valid timestamp"],
      [`${U1},${U1},1,EUR,03/04/2024,`, 'occurred_at', "'03/04/2024' is not a valid timestamp"],
      [`${U1},${U1},1,EUR,infinity,`, 'occurred_at', "'infinity' is not a finite timestamp"],
      [`${U1},${U1},NaN,EUR,2024-05-01,`, 'amount', "'NaN' is not a finite number"],
      [`${U1},${U1},10000000000,EUR,2024-05-01,`, 'amount', "'10000000000' is out of range"],
    ];
    for (const [row, column, reason] of cases) {
      const o = await refused(`${TX_HEADER}\n${row}\n`);
      expect([o.code, o.rowErrors[0]?.line, o.rowErrors[0]?.column]).toEqual(['INVALID_VALUE', 2, column]);
      expect(o.rowErrors[0]?.reason).toContain(reason);
    }
  });

  it('refuses 12.345 for numeric(12,2) instead of rounding it', async () => {
    const outcome = await refused(`${TX_HEADER}\n${tx(U1, '12.345')}\n`);
    expect(outcome.message).toBe(
      "line 2, column amount: '12.345' has more than 2 decimal places; it would have to be rounded",
    );
  });

  it('refuses over-long values (VALUE_TOO_LONG) and empty required values (REQUIRED_VALUE_MISSING)', async () => {
    const long = await refused(`${TX_HEADER}\n${tx(U1)}\n${tx(U2, '1', ',EURO,2024-05-01,')}\n`);
    expect(long.rowErrors[0]).toMatchObject({
      code: 'VALUE_TOO_LONG',
      line: 3,
      column: 'currency',
      value: 'EURO',
    });
    const note = await refused(`${TX_HEADER}\n${tx(U1, '1', `,EUR,2024-05-01,${'x'.repeat(501)}`)}\n`);
    expect(note.rowErrors[0]).toMatchObject({
      code: 'VALUE_TOO_LONG',
      column: 'note',
      reason: expect.stringContaining('longer than 500'),
    });
    expect(note.rowErrors[0]?.value).toHaveLength(80);
    const empty = await refused(`${TX_HEADER}\n${tx(U1, '')}\n${tx(U2, '""')}\n`);
    expect(empty.code).toBe('REQUIRED_VALUE_MISSING');
    expect(empty.rowErrors.map((e) => [e.line, e.column, e.code])).toEqual([
      [2, 'amount', 'REQUIRED_VALUE_MISSING'],
      [3, 'amount', 'REQUIRED_VALUE_MISSING'],
    ]);
    expect(empty.message).toBe(
      'line 2, column amount: a value is required, but the field is empty (and 1 more row refused)',
    );
  });

  it('refuses an over-long value whose excess is spaces instead of cutting it (varchar(n) would)', async () => {
    const padded = await refused(`${TX_HEADER}\n${tx(U1, '1', ',EUR ,2024-05-01,')}\n`);
    expect(padded.rowErrors[0]).toMatchObject({
      code: 'VALUE_TOO_LONG',
      line: 2,
      column: 'currency',
      value: 'EUR ',
    });
    const note = await refused(`${TX_HEADER}\n${tx(U1, '1', `,EUR,2024-05-01,"${'x'.repeat(499)}  "`)}\n`);
    expect(note.rowErrors[0]).toMatchObject({ code: 'VALUE_TOO_LONG', line: 2, column: 'note' });
  });

  it('reports the first line of a multi-line record', async () => {
    const outcome = await refused(`${TX_HEADER}\n"two\nlines",${U1},1,EUR,2024-05-01,\n${tx(U1, 'x')}\n`);
    expect(outcome.rowErrors.map((e) => [e.line, e.column])).toEqual([
      [2, 'transaction_id'],
      [4, 'amount'],
    ]);
  });

  it('lists at most 100 refused rows and says there were more', async () => {
    const rows = Array.from({ length: 150 }, () => tx(U1, 'bad')).join('\n');
    const outcome = await refused(`${TX_HEADER}\n${rows}\n`);
    expect(outcome.rowErrors).toHaveLength(100);
    expect(outcome.rowErrors[99]?.line).toBe(101);
    expect(outcome.rowsRejected).toBeGreaterThan(100);
    expect(outcome.message).toMatch(/\(and at least 100 more rows refused\)$/);
  });

  it('refuses a header with unknown, duplicate or missing required columns (HEADER_MISMATCH)', async () => {
    const outcome = await refused(`transaction_id,amout,currency,currency,occurred_at\n${tx(U1)}\n`);
    expect(outcome.code).toBe('HEADER_MISMATCH');
    expect(outcome.rowErrors.map((e) => e.reason)).toEqual([
      "'amout' is not a column of dataset transactions (did you mean 'amount'?)",
      'column currency appears twice (header fields 3 and 4)',
      'required column customer_external_id is missing',
      'required column amount is missing',
    ]);
  });

  it('refuses a file larger than the dataset allows', async () => {
    const small: DatasetDefinition = { ...TRANSACTIONS, maxFileBytes: 200 };
    const rows = Array.from({ length: 10 }, () => tx(U1)).join('\n');
    expect((await refused(`${TX_HEADER}\n${rows}\n`, small)).code).toBe('FILE_TOO_LARGE');
  });
});

describe('loadCsv: modes', () => {
  const CUSTOMER_HEADER = 'external_id,name,email,orders_count';

  it('upserts on the key: inserts new keys, updates existing ones (only the columns the file has)', async () => {
    await client.query('TRUNCATE customers');
    const first = randomUUID();
    await load(CUSTOMERS, `${CUSTOMER_HEADER}\n${U1},Ann,ann@x.io,1\n${U2},Bob,bob@x.io,2\n`, first);
    const second = randomUUID();
    const outcome = await load(
      CUSTOMERS,
      `external_id,name,orders_count\n${U2},Robert,3\n${U3},Cy,4\n`,
      second,
    );
    expect(outcome).toEqual({ ok: true, rowsLoaded: 2, rowsRejected: 0, rejects: [] });
    const { rows } = await client.query(
      'SELECT external_id::text AS id, name, email, orders_count AS n, _job_id::text AS job FROM customers ORDER BY external_id',
    );
    expect(rows).toEqual([
      { id: U1, name: 'Ann', email: 'ann@x.io', n: 1, job: first },
      { id: U2, name: 'Robert', email: 'bob@x.io', n: 3, job: second },
      { id: U3, name: 'Cy', email: null, n: 4, job: second },
    ]);
  });

  it('refuses a key that appears twice in an upsert file (DUPLICATE_KEY), naming both lines', async () => {
    await client.query('TRUNCATE customers');
    await load(CUSTOMERS, `${CUSTOMER_HEADER}\n${U1},Ann,,1\n`);
    const before = await snapshot('customers');
    const outcome = failed(
      await load(
        CUSTOMERS,
        `${CUSTOMER_HEADER}\n${U2},"Bob\nthe builder",,1\n${U1},Ann,,2\n${U2},Bob,,3\n${U3},Cy,,4\n${U2},Bob,,5\n`,
      ),
    );
    expect(outcome.code).toBe('DUPLICATE_KEY');
    expect(outcome.rowsRejected).toBe(2);
    expect(outcome.rowErrors.map((e) => [e.line, e.column, e.value])).toEqual([
      [5, 'external_id', U2],
      [7, 'external_id', U2],
    ]);
    expect(outcome.message).toBe(
      `line 5, column external_id: '${U2}' already appears on line 2; a key may appear only once per file (and 1 more row refused)`,
    );
    expect(await snapshot('customers')).toBe(before);
  });

  it('replaces atomically: a reader sees the old rows until COMMIT, then only the new ones', async () => {
    const header = 'sku,price,currency,valid_from';
    await client.query('TRUNCATE price_list');
    await load(PRICE_LIST, `${header}\nA,1.00,EUR,2024-01-01\nB,2.00,EUR,\nC,3.00,EUR,\n`);
    const reader = await connect();
    try {
      // A reader blocked by the replace would hit this timeout and fail the test.
      await reader.query("SET statement_timeout = '5s'");
      await client.query('BEGIN');
      const outcome = await loadCsv(client, {
        jobId: randomUUID(),
        dataset: PRICE_LIST,
        source: chunks(`${header}\nB,2.50,EUR,2024-06-01\nD,4.00,USD,\n`),
      });
      expect(outcome).toMatchObject({ ok: true, rowsLoaded: 2 });
      const during = await reader.query('SELECT sku, price::text FROM price_list ORDER BY sku');
      expect(during.rows).toEqual([
        { sku: 'A', price: '1.00' },
        { sku: 'B', price: '2.00' },
        { sku: 'C', price: '3.00' },
      ]);
      await client.query('COMMIT');
      const after = await reader.query('SELECT sku, price::text FROM price_list ORDER BY sku');
      expect(after.rows).toEqual([
        { sku: 'B', price: '2.50' },
        { sku: 'D', price: '4.00' },
      ]);
    } finally {
      await reader.end();
    }
  });

  it('refuses a key twice in a replace file (DUPLICATE_KEY) and keeps the old rows', async () => {
    const before = await snapshot('price_list');
    const outcome = failed(await load(PRICE_LIST, 'sku,price,currency\nX,1,EUR\nY,1,EUR\nX,2,EUR\n'));
    expect(outcome.rowErrors[0]).toMatchObject({ code: 'DUPLICATE_KEY', line: 4, column: 'sku', value: 'X' });
    expect(await snapshot('price_list')).toBe(before);
  });
});

describe('loadCsv: a dataset that allows rejects', () => {
  const LENIENT: DatasetDefinition = {
    name: 'lenient_items',
    table: 'lenient_items',
    mode: 'append',
    key: [],
    columns: [
      { name: 'id', type: { kind: 'uuid' }, required: true },
      { name: 'price', type: { kind: 'numeric', precision: 12, scale: 2 }, required: false },
      { name: 'code', type: { kind: 'text', maxLength: 3 }, required: true },
    ],
    maxRejects: 2,
    maxFileBytes: 1024 * 1024,
    uploadGroups: [],
  };

  beforeAll(async () => {
    // Its domains exist already (the sample datasets' migrations created them).
    for (const statement of datasetTableSql(LENIENT)) await client.query(statement);
  });

  it('skips up to maxRejects rows and reports them', async () => {
    const outcome = await load(
      LENIENT,
      `id,price,code\n${U1},1.5,AB\n${U2},1.555,AB\n${U3},2,ABCD\n${U3},3,A\n`,
    );
    expect(outcome).toMatchObject({ ok: true, rowsLoaded: 2, rowsRejected: 2 });
    if (!outcome.ok) return;
    expect(outcome.rejects.map((e) => [e.line, e.column, e.code])).toEqual([
      [3, 'price', 'INVALID_VALUE'],
      [4, 'code', 'VALUE_TOO_LONG'],
    ]);
    const { rows } = await client.query(
      'SELECT id::text, price::text, code FROM lenient_items ORDER BY code',
    );
    expect(rows).toEqual([
      { id: U3, price: '3', code: 'A' },
      { id: U1, price: '1.5', code: 'AB' },
    ]);
  });

  it('fails with TOO_MANY_REJECTED_ROWS past maxRejects, loading nothing', async () => {
    const before = await snapshot('lenient_items');
    const outcome = failed(await load(LENIENT, `id,price,code\nx,1,A\ny,1,A\n${U1},1,A\nz,1,A\n`));
    expect(outcome.code).toBe('TOO_MANY_REJECTED_ROWS');
    expect(outcome.rowsRejected).toBe(3);
    expect(outcome.message).toMatch(/^More than 2 rows were refused/);
    expect(await snapshot('lenient_items')).toBe(before);
  });
});

describe('loadCsv: faults', () => {
  beforeAll(async () => {
    await client.query('TRUNCATE transactions');
  });

  it('aborts the COPY when the source fails mid-way, throws a retryable error and leaves the client usable', async () => {
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(`${TX_HEADER}\n${tx(U1)}\n`);
      yield Buffer.from(`${tx(U2)}\n`);
      throw new Error('socket hang up');
    }
    await client.query('BEGIN');
    const error = await loadCsv(client, {
      jobId: randomUUID(),
      dataset: TRANSACTIONS,
      source: broken(),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CsvLoadError);
    expect(error).toMatchObject({ retryable: true, message: expect.stringMatching(/socket hang up/) });
    // The connection is not stuck in COPY: the transaction answers, and rolls back cleanly.
    expect((await client.query('SELECT count(*)::int AS n FROM transactions')).rows).toEqual([{ n: 0 }]);
    await client.query('ROLLBACK');
    expect(await load(TRANSACTIONS, `${TX_HEADER}\n${tx(U1)}\n`)).toMatchObject({ ok: true, rowsLoaded: 1 });
  });

  it('stops on abort and throws the reason', async () => {
    const controller = new AbortController();
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(`${TX_HEADER}\n`);
      for (let i = 0; ; i++) {
        if (i === 3) controller.abort(new Error('deadline'));
        yield Buffer.from(`${tx(U1)}\n`);
      }
    }
    await client.query('BEGIN');
    const error = await loadCsv(client, {
      jobId: randomUUID(),
      dataset: TRANSACTIONS,
      source: slow(),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: 'deadline' });
    await client.query('ROLLBACK');
    expect((await client.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
  });

  it('throws a retryable error when the connection dies mid-COPY', async () => {
    const victim = await connect();
    victim.on('error', () => {});
    const { rows } = await victim.query('SELECT pg_backend_pid() AS pid');
    const pid = (rows[0] as { pid: number }).pid;
    async function* endless(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(`${TX_HEADER}\n`);
      for (let i = 0; ; i++) {
        if (i === 50) await client.query('SELECT pg_terminate_backend($1)', [pid]);
        yield Buffer.from(`${tx(U1)}\n`.repeat(100));
      }
    }
    await victim.query('BEGIN');
    const error = await loadCsv(victim, {
      jobId: randomUUID(),
      dataset: TRANSACTIONS,
      source: endless(),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: true });
    await victim.end().catch(() => {});
  });

  it('streams: rows reach PostgreSQL while the source is still being read, with little in flight', async () => {
    const observer = await connect();
    const { rows } = await client.query('SELECT pg_backend_pid() AS pid');
    const pid = (rows[0] as { pid: number }).pid;
    const block = Buffer.from(`${tx(U1)}\n`.repeat(1000));
    const total = 400; // ~40 MB
    let pulled = 0;
    let seen: { bytes: number; tuples: number; pulled: number } | undefined;
    async function* generated(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(`${TX_HEADER}\n`);
      for (let i = 0; i < total; i++) {
        if (i === total / 2) {
          // Half-way through the source, COPY's own progress counters say what reached the server.
          const progress = await observer.query(
            'SELECT bytes_processed::float8 AS bytes, tuples_processed::float8 AS tuples FROM pg_stat_progress_copy WHERE pid = $1',
            [pid],
          );
          const row = progress.rows[0] as { bytes: number; tuples: number } | undefined;
          seen = { bytes: row?.bytes ?? 0, tuples: row?.tuples ?? 0, pulled };
        }
        pulled += block.length;
        yield block;
      }
    }
    try {
      await client.query('BEGIN');
      const outcome = await loadCsv(client, {
        jobId: randomUUID(),
        dataset: TRANSACTIONS,
        source: generated(),
      });
      await client.query('ROLLBACK');
      expect(outcome).toMatchObject({ ok: true, rowsLoaded: total * 1000 });
      expect(seen?.tuples).toBeGreaterThan(0);
      // Read from the source but not yet at the server: a few stream and socket buffers, never
      // the file (a loader that buffered would show 20 MB here and zero tuples).
      const inFlight = (seen?.pulled ?? 0) - (seen?.bytes ?? 0);
      expect(inFlight).toBeLessThan(8 * 1024 * 1024);
    } finally {
      await observer.end();
    }
  });

  it('stops reading an endless source at the size limit', async () => {
    let pulled = 0;
    const block = Buffer.from(`${tx(U1)}\n`.repeat(1000));
    async function* endless(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(`${TX_HEADER}\n`);
      for (;;) {
        pulled += block.length;
        yield block;
      }
    }
    const capped: DatasetDefinition = { ...TRANSACTIONS, maxFileBytes: 8 * 1024 * 1024 };
    await client.query('BEGIN');
    const outcome = await loadCsv(client, { jobId: randomUUID(), dataset: capped, source: endless() });
    await client.query('ROLLBACK');
    expect(failed(outcome).code).toBe('FILE_TOO_LARGE');
    expect(pulled).toBeGreaterThan(8 * 1024 * 1024 - 2 * block.length);
    expect(pulled).toBeLessThan(8 * 1024 * 1024 + 2 * block.length);
  });

  it('refuses a second concurrent load on the same client', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    async function* held(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(`${TX_HEADER}\n`);
      await gate;
    }
    await client.query('BEGIN');
    const first = loadCsv(client, { jobId: randomUUID(), dataset: TRANSACTIONS, source: held() });
    await expect(
      loadCsv(client, { jobId: randomUUID(), dataset: TRANSACTIONS, source: chunks(`${TX_HEADER}\n`) }),
    ).rejects.toThrow(/already running/);
    release();
    expect(await first).toMatchObject({ ok: true, rowsLoaded: 0 });
    await client.query('ROLLBACK');
  });
});

describe('loadCsv: a dry run', () => {
  const KEYED: DatasetDefinition = {
    name: 'keyed_items',
    table: 'keyed_items',
    mode: 'append',
    key: ['id'],
    columns: [
      { name: 'id', type: { kind: 'uuid' }, required: true },
      { name: 'code', type: { kind: 'text', maxLength: 3 }, required: false },
    ],
    maxRejects: 0,
    maxFileBytes: 1024 * 1024,
    uploadGroups: [],
  };
  const CU_HEADER = 'external_id,name,email,credit_limit,orders_count,active,signed_up_at,birth_date';

  beforeAll(async () => {
    // The migration the planner writes for it (with the domain it needs).
    const plan = planMigration(SAMPLE_DATASETS, [...SAMPLE_DATASETS, KEYED]);
    for (const statement of plan.statements) await client.query(statement);
  });

  beforeEach(async () => {
    await client.query('TRUNCATE transactions, customers, price_list, keyed_items');
    // Rows already there: a dry run must leave them, and meet them as the load does.
    await load(CUSTOMERS, `${CU_HEADER}\n${U1},Ada,,,,,,\n`);
    await load(PRICE_LIST, 'sku,price,currency\nOLD,1.00,EUR\n');
    await load(TRANSACTIONS, `${TX_HEADER}\n${tx(U3)}\n`);
    await load(KEYED, `id,code\n${U1},abc\n`);
  });

  /** The outcome of a dry run, and whether every table is exactly as before it. */
  async function dryRun(dataset: DatasetDefinition, input: string): Promise<LoadOutcome> {
    const tables = ['transactions', 'customers', 'price_list', 'keyed_items'];
    const before = await Promise.all(tables.map(snapshot));
    await client.query('BEGIN');
    let outcome: LoadOutcome;
    try {
      outcome = await loadCsv(client, { jobId: randomUUID(), dataset, source: chunks(input), dryRun: true });
      // Nothing left even inside the transaction, and the transaction still usable.
      expect(await Promise.all(tables.map(snapshot))).toEqual(before);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
    expect(await Promise.all(tables.map(snapshot))).toEqual(before);
    return outcome;
  }

  /** A real load's outcome, rolled back whatever it was. */
  async function loadOutcome(dataset: DatasetDefinition, input: string): Promise<LoadOutcome> {
    await client.query('BEGIN');
    try {
      return await loadCsv(client, { jobId: randomUUID(), dataset, source: chunks(input) });
    } finally {
      await client.query('ROLLBACK');
    }
  }

  it.each<[string, DatasetDefinition, string]>([
    ['a good append', TRANSACTIONS, `${TX_HEADER}\n${tx(U1)}\n${tx(U2, '2.50')}\n`],
    ['a bad value', TRANSACTIONS, `${TX_HEADER}\n${tx(U1)}\n${tx(U2, '12,5')}\n${tx(U3, '1.234')}\n`],
    ['a missing required value', TRANSACTIONS, `${TX_HEADER}\n${tx(U1, '')}\n`],
    ['a wrong column count', TRANSACTIONS, `${TX_HEADER}\n${tx(U1)},extra\n`],
    ['an unclosed quote', TRANSACTIONS, `${TX_HEADER}\n${tx(U1)}\n"${tx(U2)}\n`],
    ['a header mismatch', TRANSACTIONS, 'transaction_id,amount,colour\n'],
    ['a good upsert over existing keys', CUSTOMERS, `${CU_HEADER}\n${U1},Ada 2,,,,,,\n${U2},Bob,,,,,,\n`],
    ['a key twice in an upsert file', CUSTOMERS, `${CU_HEADER}\n${U2},Bob,,,,,,\n${U2},Bob again,,,,,,\n`],
    ['a good replace', PRICE_LIST, 'sku,price,currency\nA,1.00,EUR\nB,2.00,EUR\n'],
    ['a key twice in a replace file', PRICE_LIST, 'sku,price,currency\nA,1.00,EUR\nA,2.00,EUR\n'],
    ['a key already in an append table', KEYED, `id,code\n${U2},x\n${U1},y\n`],
    ['a key twice in an append file', KEYED, `id,code\n${U2},x\n${U2},y\n`],
  ])('%s: the same outcome as the load, and nothing changed', async (_label, dataset, input) => {
    const expected = await loadOutcome(dataset, input);
    expect(await dryRun(dataset, input)).toEqual(expected);
  });

  it('skips and reports rows within maxRejects exactly as the load does', async () => {
    const lenient = { ...TRANSACTIONS, maxRejects: 2 };
    const input = `${TX_HEADER}\n${tx(U1)}\n${tx(U2, 'x')}\n${tx(U3)}\n`;
    const expected = await loadOutcome(lenient, input);
    expect(expected).toMatchObject({ ok: true, rowsLoaded: 2, rowsRejected: 1 });
    expect(await dryRun(lenient, input)).toEqual(expected);
  });

  it('takes no lock on a replace table: a writer is not kept waiting by a dry run', async () => {
    const other = await connect();
    try {
      await client.query('BEGIN');
      await loadCsv(client, {
        jobId: randomUUID(),
        dataset: PRICE_LIST,
        source: chunks('sku,price,currency\nZ,1.00,EUR\n'),
        dryRun: true,
      });
      // Still inside the dry run's transaction: a write to the table goes through at once.
      await other.query("SET lock_timeout = '2s'");
      await other.query(`SELECT set_config('herald.job_id', '${U3}', false)`);
      await other.query("INSERT INTO price_list (sku, price, currency) VALUES ('W', 1, 'EUR')");
      await client.query('COMMIT');
    } finally {
      await other.query("DELETE FROM price_list WHERE sku = 'W'");
      await other.end();
    }
  });
});
