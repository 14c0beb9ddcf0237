import { describe, expect, it } from 'vitest';
import { parseDatasetsDeclaration } from '../../src/datasets/declaration.ts';
import { declaredForm } from '../../src/datasets/index.ts';
import { inferDataset } from '../../src/datasets/infer.ts';
import { inferenceSample } from '../support/inference-samples.ts';

/** The bytes of a text, `size` at a time (how a stream delivers them). */
async function* chunks(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const infer = (text: string, options: Partial<Parameters<typeof inferDataset>[1]> = {}, size = 64 * 1024) =>
  inferDataset(chunks(text, size), { name: 'orders', ...options });

/** The inferred columns as [name, type, required, aliases]. */
async function columnsOf(text: string, size?: number) {
  const result = await infer(text, {}, size);
  if (!result.ok) throw new Error(result.problem);
  return declaredForm(result.dataset).columns.map((c) => [
    c.name,
    c.maxLength === undefined ? c.type : `${c.type}(${c.maxLength})`,
    c.required,
    c.aliases ?? [],
  ]);
}

const EXPECTED = [
  ['order_id', 'uuid', true, ['Order ID']],
  ['quantity', 'integer', true, []],
  ['big_count', 'bigint', true, ['Big Count']],
  ['unit_price_eur', 'numeric(6,2)', true, ['Unit Price (EUR)']],
  ['rate', 'numeric(5,4)', false, []],
  ['paid', 'boolean', true, ['Paid?']],
  ['flag', 'integer', true, []],
  ['delivery_date', 'date', true, ['Delivery Date']],
  ['created_at', 'timestamptz', true, ['Created At']],
  ['comment', 'text(16)', false, []],
  ['order_value', 'text(8)', true, ['order']],
  ['nothing', 'text', false, []],
];

describe('inferDataset', () => {
  it.each([
    ['LF, no BOM', {}],
    ['a BOM', { bom: true }],
    ['CRLF line ends', { crlf: true }],
    ['a BOM and CRLF', { bom: true, crlf: true }],
  ])(
    'infers every column of a generated sample with %s, whatever the chunk size',
    async (_label, options) => {
      const { text } = inferenceSample(120, options);
      for (const size of [1, 7, 4096])
        expect(await columnsOf(text, size), `chunks of ${size}`).toEqual(EXPECTED);
    },
  );

  it('gives a declaration the file checks accept, ready to paste', async () => {
    const result = await infer(inferenceSample(30).text, { mode: 'upsert', key: ['order_id'] });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.rows).toBe(30);
    expect(parseDatasetsDeclaration({ datasets: [declaredForm(result.dataset)] })).toEqual({
      ok: true,
      datasets: [result.dataset],
    });
  });

  it.each<[string, string, string]>([
    ['integers past bigint', 'n\n1\n99999999999999999999\n', 'numeric(20,0)'],
    ['a decimal comma stays text', 'n\n"1,5"\n2\n', 'text(8)'],
    ['mixed integers and decimals', 'n\n1\n-22.5\n0.125\n', 'numeric(5,3)'],
    ['0 and 1 only: integer, with a note', 'n\n0\n1\n', 'integer'],
    ['0, 1 and a word: boolean', 'n\n0\n1\nno\n', 'boolean'],
    [
      'dates and timestamps together: timestamptz',
      'n\n2026-01-02\n2026-01-02T03:04:05+01:00\n',
      'timestamptz',
    ],
    ['an impossible date: text', 'n\n2026-02-30\n', 'text(16)'],
    ['a uuid with another value: text', 'n\n6f1c1f9e-3b1a-4c55-9d0e-a11ce0000001\nx\n', 'text(64)'],
    ['a long value, rounded up', `n\n${'x'.repeat(300)}\n`, 'text(512)'],
    ['characters, not bytes', `n\n${'é'.repeat(9)}\n`, 'text(16)'],
  ])('%s', async (_label, text, type) => {
    const [[, inferred]] = (await columnsOf(text)) as [[string, string]];
    // 'a uuid with another value' rounds its 36 characters up to 64.
    expect(inferred).toBe(type);
  });

  it('normalises headers into safe, unique names and keeps the originals as aliases', async () => {
    const names = (await columnsOf('Prénom,prénom,2nd Line,select,,  id  \n1,2,3,4,5,6\n')).map((c) => [
      c[0],
      c[3],
    ]);
    expect(names).toEqual([
      ['prenom', ['Prénom']],
      ['prenom_2', ['prénom']],
      ['c_2nd_line', ['2nd Line']],
      ['select_value', ['select']],
      ['column_5', ['']],
      ['id', []],
    ]);
  });

  it('reads quoted fields as PostgreSQL does: commas, doubled quotes, line breaks', async () => {
    const text = 'a,b\n"x, y","say ""hi"""\n"two\nlines",z\n';
    expect((await columnsOf(text, 1)).map((c) => [c[0], c[1], c[2]])).toEqual([
      ['a', 'text(16)', true],
      ['b', 'text(8)', true],
    ]);
  });

  it('stops after --max-rows, and says so', async () => {
    const result = await infer(inferenceSample(100).text, { maxRows: 10 });
    expect(result).toMatchObject({
      ok: true,
      rows: 10,
      notes: expect.arrayContaining(['read the first 10 rows only (--max-rows)']),
    });
  });

  it.each([
    ['an empty file', '', 'the file has no header row'],
    ['an unclosed quote', 'a\n"never closed\n', 'a quoted field is never closed'],
    ['Latin-1', Buffer.from('a\ncaf\xe9\n', 'latin1').toString('binary'), 'the file is not UTF-8 text'],
  ])('refuses %s', async (_label, text, problem) => {
    const bytes = _label === 'Latin-1' ? Buffer.from(text, 'binary') : new TextEncoder().encode(text);
    const result = await inferDataset(
      (async function* () {
        yield bytes;
      })(),
      { name: 'x' },
    );
    expect(result).toEqual({ ok: false, problem });
  });

  it('needs a key for upsert, and one that names a column', async () => {
    expect(await infer('a\n1\n', { mode: 'upsert' })).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/--key/),
    });
    expect(await infer('a\n1\n', { mode: 'upsert', key: ['b'] })).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/names no inferred column: b/),
    });
  });

  it('keeps memory bounded: a 20 MB sample streams through with counters only', async () => {
    const row = 'x'.repeat(100);
    async function* big(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('a,b\n');
      const block = new TextEncoder().encode(`${row},1\n`.repeat(1000));
      for (let i = 0; i < 200; i++) yield block;
    }
    const before = process.memoryUsage().heapUsed;
    const result = await inferDataset(big(), { name: 'x' });
    expect(result).toMatchObject({ ok: true, rows: 200_000 });
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(15 * 1024 * 1024);
  });
});
