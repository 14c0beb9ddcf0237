import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASETS_EXIT, datasetsMain } from '../../src/cli/datasets.ts';
import { datasetMigrationsDir, readDatasetMigrations } from '../../src/datasets/index.ts';
import { SAMPLE_DATASETS_FILE } from '../support/sample-datasets.ts';
import { issueToken, stack, upload, waitForJob } from './support.ts';

// An adopter's walk-through, against the running local stack: a new dataset is declared in
// THEIR herald.datasets.json (a copy of the sample in a folder of their own, not in packages/),
// `plan` shows the SQL, `migrate` writes and applies it, and a CSV loads through HTTP → S3 →
// worker; then a new optional column and a longer max length are added and applied with data in
// place, and a file using them loads; a column drop is refused with its sentence and nothing is
// written. The stack's functions read declarations from the database the migrations wrote, so
// no redeploy happens in between (as on AWS: the migrator applies, the next upload sees it).

const repo = mkdtempSync(join(tmpdir(), 'herald-adopter-'));
const file = join(repo, 'herald.datasets.json');
const migrations = datasetMigrationsDir(file);
const name = `orders_${randomBytes(4).toString('hex')}`;
/** The number of the n-th migration the adopter writes, after the sample's own. */
const numbered = (n: number) =>
  String(
    (readDatasetMigrations(datasetMigrationsDir(SAMPLE_DATASETS_FILE)).at(-1)?.version ?? 0) + n,
  ).padStart(3, '0');
const db = new pg.Client({ connectionString: stack().postgres.connectionString });
let alice: string;

/** Runs `herald datasets …` in the adopter's folder; stdout and stderr as text. */
async function herald(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await datasetsMain(argv, {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: { HERALD_DATABASE_URL: stack().postgres.connectionString },
    cwd: repo,
  });
  return { code, out, err };
}

/** The adopter's declaration file with `orders` as given (the samples kept as they are). */
function declare(orders: Record<string, unknown>): void {
  const declaration = JSON.parse(readFileSync(SAMPLE_DATASETS_FILE, 'utf8')) as { datasets: unknown[] };
  declaration.datasets.push({ name, ...orders });
  writeFileSync(file, JSON.stringify(declaration, null, 2));
}

const ORDERS = {
  description: 'Orders from the shop, upserted on order_id.',
  mode: 'upsert',
  key: ['order_id'],
  columns: [
    { name: 'order_id', type: 'uuid', required: true, aliases: ['Order ID'] },
    { name: 'total', type: 'numeric(10,2)', required: true },
    { name: 'note', type: 'text', maxLength: 20 },
  ],
  maxFileBytes: 1_000_000,
  uploadGroups: ['analysts'],
};

async function columns(): Promise<Record<string, string>> {
  const { rows } = await db.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [`public.${name}`],
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.type]));
}

async function rows(): Promise<Record<string, unknown>[]> {
  const { rows } = await db.query(`SELECT * FROM public.${name} ORDER BY order_id`);
  return rows.map(({ _job_id: _, ...row }) => row);
}

beforeAll(async () => {
  // The adopter's repository: the shipped sample and its migrations, as a fresh clone has them.
  mkdirSync(migrations, { recursive: true });
  cpSync(datasetMigrationsDir(SAMPLE_DATASETS_FILE), migrations, { recursive: true });
  await db.connect();
  alice = await issueToken('alice');
});
afterAll(async () => {
  await db.end();
});

describe('an adopter declares, migrates and evolves a dataset of their own', () => {
  const first = randomUUID();
  const second = randomUUID();

  it('plan shows the new dataset and the SQL it would run, and writes nothing', async () => {
    declare(ORDERS);
    const before = readdirSync(migrations);
    const { code, out } = await herald('plan');
    expect(code).toBe(DATASETS_EXIT.OK);
    expect(out).toContain(`+ safe    ${name}: new dataset, table ${name} (3 columns, upsert).`);
    expect(out).toContain(`CREATE TABLE ${name} (\n  order_id ingest_req_uuid NOT NULL,`);
    expect(out).toContain(`INSERT INTO ingest_datasets (name, declaration) VALUES ('${name}'`);
    expect(readdirSync(migrations)).toEqual(before);
  });

  it('migrate writes the migration and applies it; a CSV then loads through HTTP, S3 and the worker', async () => {
    const { code, out } = await herald('migrate');
    expect(code, out).toBe(DATASETS_EXIT.OK);
    const written = readdirSync(migrations).filter((f) => f.includes(name));
    expect(written).toEqual([`${numbered(1)}_${name}.sql`]);
    expect(out).toContain(`Applied datasets/${numbered(1)}_${name}.`);
    expect(await herald('check')).toMatchObject({ code: DATASETS_EXIT.OK });

    const csv = `Order ID,total,note\n${first},12.50,first order\n${second},3,\n`;
    const { jobId } = await upload(alice, csv, { dataset: name, fileName: 'orders.csv' });
    expect(await waitForJob(alice, jobId)).toMatchObject({ state: 'succeeded', rowsLoaded: 2 });
    expect(await rows()).toEqual(
      [
        { order_id: first, total: '12.50', note: 'first order' },
        { order_id: second, total: '3', note: null },
      ].sort((a, b) => a.order_id.localeCompare(b.order_id)),
    );
  });

  it('adds an optional column and a longer max length with the data in place; files using them load', async () => {
    declare({
      ...ORDERS,
      columns: [
        ...ORDERS.columns.slice(0, 2),
        { name: 'note', type: 'text', maxLength: 200 },
        { name: 'channel', type: 'text', maxLength: 16, aliases: ['Sales Channel'] },
      ],
    });
    const planned = await herald('plan');
    expect(planned.out).toContain(`+ safe    ${name}: column note from text(20) to text(200)`);
    expect(planned.out).toContain(`+ safe    ${name}: new optional column channel text(16).`);
    const { code, out } = await herald('migrate');
    expect(code, out).toBe(DATASETS_EXIT.OK);
    expect(out).toContain(`Applied datasets/${numbered(2)}_${name}.`);
    expect(await columns()).toMatchObject({ note: 'ingest_text_200', channel: 'ingest_text_16' });
    // The rows loaded before are still there, untouched.
    expect((await rows()).map((r) => [r.order_id, r.note, r.channel])).toEqual(
      [
        [first, 'first order', null],
        [second, null, null],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    const long = 'a note longer than the twenty characters allowed before';
    const csv = `order_id,total,note,Sales Channel\n${second},4.25,${long},web\n`;
    const { jobId } = await upload(alice, csv, { dataset: name, fileName: 'orders-2.csv' });
    expect(await waitForJob(alice, jobId)).toMatchObject({ state: 'succeeded', rowsLoaded: 1 });
    expect((await rows()).find((r) => r.order_id === second)).toEqual({
      order_id: second,
      total: '4.25',
      note: long,
      channel: 'web',
    });
  });

  it('refuses to drop a column, saying why and what to do, and writes nothing', async () => {
    declare({
      ...ORDERS,
      columns: [...ORDERS.columns.slice(0, 2), { name: 'channel', type: 'text', maxLength: 16 }],
    });
    const before = readdirSync(migrations);
    const sentence =
      `${name}: dropping column note deletes its value in every row of ${name}. To keep the values, ` +
      'declare it again (optional if new files leave it out); to drop them, migrate with --allow-unsafe.';
    const planned = await herald('plan');
    expect(planned.code).toBe(DATASETS_EXIT.REFUSED);
    expect(planned.out).toContain(`x refused ${sentence}`);
    const migrated = await herald('migrate');
    expect(migrated.code).toBe(DATASETS_EXIT.REFUSED);
    expect(migrated.out).toContain('1 unsafe change is refused; nothing would be written.');
    expect(readdirSync(migrations)).toEqual(before);
    expect(Object.keys(await columns())).toContain('note');
    // And the deploy would not run with that declaration either (synth's check).
    expect((await herald('check')).code).toBe(DATASETS_EXIT.REFUSED);
  });
});
