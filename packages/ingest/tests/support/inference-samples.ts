import { randomUUID } from 'node:crypto';

/**
 * Generated CSV samples for inference tests: one column per kind of value the inference must
 * recognise, with empties in the optional ones, quoted fields (commas, quotes, line breaks), a
 * header that needs normalising, and optionally a BOM and CRLF line ends.
 */

export interface Sample {
  readonly text: string;
  readonly rows: number;
}

/** mulberry32: a small seeded PRNG, so a failing sample can be made again. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const quote = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

/** The header, and a generator per column: `(row, random) => value` ('' is empty). */
const COLUMNS: ReadonlyArray<readonly [string, (i: number, r: () => number) => string]> = [
  ['Order ID', () => randomUUID()],
  ['Quantity', (_, r) => String(Math.floor(r() * 1000) - 10)],
  ['Big Count', (_, r) => String(3_000_000_000 + Math.floor(r() * 1e9))],
  ['Unit Price (EUR)', (_, r) => (r() * 10_000).toFixed(2)],
  ['Rate', (i, r) => (i % 3 === 0 ? '' : (r() * 10).toFixed(4))],
  ['Paid?', (i) => ['true', 'False', 'yes', 'NO', 't', 'f', 'on', 'off', ' y ', 'n'][i % 10] as string],
  ['Flag', (i) => String(i % 2)],
  [
    'Delivery Date',
    (i) => `2026-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
  ],
  [
    'Created At',
    (i) =>
      [
        `2026-05-0${(i % 9) + 1}T10:15:30Z`,
        `2026-05-0${(i % 9) + 1} 10:15:30.123456+02:00`,
        `2026-05-0${(i % 9) + 1}T23:59-0530`,
        `2026-05-0${(i % 9) + 1}T08:00:00`,
      ][i % 4] as string,
  ],
  [
    'Comment',
    (i, r) =>
      i % 4 === 1
        ? ''
        : (['plain', 'with, comma', 'with "quotes"', 'two\nlines', 'é€🎉'][Math.floor(r() * 5)] as string),
  ],
  ['order', (i) => `SKU-${i}`],
  ['Nothing', () => ''],
];

/**
 * A sample of `rows` rows.
 *
 * @example
 * const { text } = inferenceSample(50, { bom: true, crlf: true });
 */
export function inferenceSample(
  rows: number,
  options: { bom?: boolean; crlf?: boolean; seed?: number } = {},
): Sample {
  const random = prng(options.seed ?? 16);
  const eol = options.crlf ? '\r\n' : '\n';
  const lines = [COLUMNS.map(([name]) => quote(name)).join(',')];
  for (let i = 0; i < rows; i++) lines.push(COLUMNS.map(([, value]) => quote(value(i, random))).join(','));
  return { text: `${options.bom ? '\ufeff' : ''}${lines.join(eol)}${eol}`, rows };
}
