import { Buffer } from 'node:buffer';
import type { DatasetDefinition } from '@herald/ingest';
import type { ErrorCode } from '@herald/protocol';
import fc from 'fast-check';

/**
 * Generated CSV files for the hostile-input suite, each with the outcome the documented input
 * rules (docs/adr/002-ingest-load-path.md, "Input rules") predict for it: the ORACLE. A file is
 * a header and rows; each row is valid (values drawn from what the column's type accepts, with
 * hostile but legal content: quotes, commas, embedded line breaks, emoji, combining marks,
 * formula and SQL look-alikes, text at its length limit) or broken by exactly one known
 * mutation. The oracle is written from the rules, not from the loader's code.
 */

type Column = DatasetDefinition['columns'][number];

/** One field: the text as the file means it, whether it is quoted, and what the table must hold. */
export interface Cell {
  readonly raw: string;
  readonly quote: boolean;
  /** The column read back as text (`c::text`; timestamps as epoch microseconds); null = NULL. */
  readonly expected: string | null;
}

/** A value the column refuses, and the code the refusal must carry. */
export interface BadCell extends Cell {
  readonly code: ErrorCode;
}

export type Mutation =
  | { readonly kind: 'none' }
  /** One value the column's type refuses (a soft error: the row is skipped and reported). */
  | { readonly kind: 'bad-value'; readonly pick: number }
  /** The row's last field is missing. */
  | { readonly kind: 'missing-field' }
  /** One field too many. */
  | { readonly kind: 'extra-field' }
  /** The row ends with the other line-ending style (LF in a CRLF file, or the reverse). */
  | { readonly kind: 'other-eol' }
  /** A blank line before the row. */
  | { readonly kind: 'blank-line-before' }
  /** The row repeats the key of an earlier valid row. */
  | { readonly kind: 'duplicate-key'; readonly pick: number }
  /** A quote opens at the row's start and never closes (the rest of the file is swallowed). */
  | { readonly kind: 'unclosed-quote' };

export interface RowSpec {
  /** A valid cell for every dataset column. */
  readonly cells: Readonly<Record<string, Cell>>;
  /** A refused cell for every dataset column. */
  readonly bad: Readonly<Record<string, BadCell>>;
  readonly mutation: Mutation;
}

export interface FileSpec {
  readonly dataset: DatasetDefinition;
  /** Dataset columns in file order (required ones, and some optional ones). */
  readonly columns: readonly string[];
  /** How each header name is spelled (case, surrounding spaces, quotes). */
  readonly headerNames: readonly string[];
  readonly eol: '\n' | '\r\n';
  readonly bom: boolean;
  readonly finalEol: boolean;
  readonly trailingBlankLines: number;
  readonly rows: readonly RowSpec[];
}

/** What a table row must hold: every dataset column read back as text, and `_job_id`. */
export type TableRow = Readonly<Record<string, string | null>>;

export interface ExpectedRowError {
  readonly line: number;
  readonly code: ErrorCode;
  readonly column?: string;
}

export type Expected =
  | {
      readonly ok: true;
      /** The rows this file adds or rewrites (their `_job_id` is the job's). */
      readonly rows: readonly TableRow[];
      readonly rowsRejected: number;
      readonly rejects: readonly ExpectedRowError[];
    }
  | {
      readonly ok: false;
      /** The refusal's code: one, or (where two checks race, see `renderFile`) a few. */
      readonly codes: readonly ErrorCode[];
      /** The exact row errors, when the outcome is deterministic. */
      readonly rowErrors?: readonly ExpectedRowError[];
      readonly rowsRejected?: number;
    };

export interface RenderedFile {
  readonly bytes: Buffer;
  readonly expected: Expected;
  /** Counts by mutation kind, for the figures. */
  readonly kinds: Readonly<Record<string, number>>;
}

/** Rows already in the test schema's tables before each case (rolled back to after each). */
export interface Baseline {
  readonly jobId: string;
  readonly rows: Readonly<Record<string, readonly TableRow[]>>;
}

// ---------------------------------------------------------------------------------------------
// Values

const codePoints = (s: string) => [...s].length;

/** Hostile but legal text pieces; line breaks are mapped to the file's style when rendered. */
const TEXT_TOKENS = [
  ',',
  '"',
  '""',
  "'",
  ' ',
  '  ',
  '\t',
  '\n',
  '\r\n',
  '\r',
  '=',
  '=HYPERLINK("http://127.0.0.1/x")',
  "=cmd|' /C calc'!A0",
  '+1',
  '-1+2',
  '@SUM(A1:A9)',
  "'); DROP TABLE transactions;--",
  '$$',
  '\\',
  '\\.',
  '\\N',
  'NULL',
  'null',
  '\\x00',
  'é',
  'e\u0301',
  'ﬁ',
  'Å',
  '\u00a0',
  '\u200b',
  '\u202e',
  '\ufeff',
  '\u2028',
  '🎉',
  '👨‍👩‍👧',
  '🇩🇪',
  '𝔘𝔫𝔦',
  '中文',
  'עברית',
  '\u0001',
  '\u007f',
  '\u0085',
];

const textPiece = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TEXT_TOKENS) },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 8 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
);

/** Text of 0..max code points (biased to short, sometimes exactly max), never NUL. */
function textOf(max: number, min: number): fc.Arbitrary<string> {
  const pieces = fc.array(textPiece, { maxLength: 12 }).map((p) => p.join(''));
  const atLimit = fc
    .tuple(fc.constantFrom('x', 'é', '🎉', ',', '"'), fc.string({ unit: 'binary', maxLength: 3 }))
    .map(([fill, tail]) => clip(tail + fill.repeat(max), max));
  return fc
    .oneof({ weight: 8, arbitrary: pieces }, { weight: 1, arbitrary: atLimit })
    .map((s) => clip(s.replaceAll('\u0000', ''), max))
    .filter((s) => codePoints(s) >= min);
}

/** At most `max` code points, never ending inside a CRLF pair. */
function clip(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  const out = chars.slice(0, max);
  while (out.length > 0 && out[out.length - 1] === '\r') out.pop();
  return out.join('');
}

const cell = (raw: string, expected: string | null, quote = false): Cell => ({ raw, quote, expected });

function uuidOf(): fc.Arbitrary<{ raw: string; canonical: string }> {
  return fc.tuple(fc.uuid(), fc.constantFrom('lower', 'upper', 'braces', 'plain')).map(([u, form]) => {
    const raw =
      form === 'upper'
        ? u.toUpperCase()
        : form === 'braces'
          ? `{${u}}`
          : form === 'plain'
            ? u.replaceAll('-', '')
            : u;
    return { raw, canonical: u.toLowerCase() };
  });
}

const digits = (min: number, max: number) =>
  fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));

/** numeric(12,2) as written and as PostgreSQL prints it back (its written scale is kept). */
function numericOf(): fc.Arbitrary<{ raw: string; expected: string }> {
  const plain = fc
    .record({
      sign: fc.constantFrom('', '', '+', '-'),
      lead: fc.constantFrom('', '', '0', '00'),
      int: digits(0, 10),
      frac: digits(0, 2),
      zeros: fc.constantFrom('', '', '0', '00'),
      dot: fc.boolean(),
    })
    .filter((n) => n.int.length + n.lead.length > 0 || n.frac.length + n.zeros.length > 0)
    .map((n) => {
      const fraction = n.frac + n.zeros;
      const hasDot = fraction.length > 0 || n.dot;
      const raw = `${n.sign}${n.lead}${n.int}${hasDot ? `.${fraction}` : ''}`;
      const int = (n.lead + n.int).replace(/^0+/, '') || '0';
      const zero = /^0*$/.test(n.int + fraction);
      const expected = `${n.sign === '-' && !zero ? '-' : ''}${int}${fraction.length > 0 ? `.${fraction}` : ''}`;
      return { raw, expected };
    });
  const exponent = fc
    .record({
      sign: fc.constantFrom('', '-'),
      mantissa: fc.integer({ min: 0, max: 999_999 }),
      exp: fc.integer({ min: -2, max: 3 }),
      e: fc.constantFrom('e', 'E'),
    })
    .map((n) => {
      const m = String(n.mantissa);
      let abs: string;
      if (n.exp >= 0) abs = n.mantissa === 0 ? '0' : m + '0'.repeat(n.exp);
      else {
        const padded = m.padStart(-n.exp + 1, '0');
        abs = `${padded.slice(0, padded.length + n.exp).replace(/^0+(?=\d)/, '')}.${padded.slice(padded.length + n.exp)}`;
      }
      const raw = `${n.sign}${m}${n.e}${n.exp}`;
      return { raw, expected: `${n.sign === '-' && n.mantissa !== 0 ? '-' : ''}${abs}` };
    });
  return fc.oneof({ weight: 4, arbitrary: plain }, { weight: 1, arbitrary: exponent });
}

function integerOf(): fc.Arbitrary<{ raw: string; expected: string }> {
  return fc
    .tuple(
      fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
      fc.constantFrom('plain', 'plus', 'spaces', 'under', 'hex'),
    )
    .map(([v, form]) => {
      const expected = String(v);
      const abs = Math.abs(v);
      const sign = v < 0 ? '-' : '';
      switch (form) {
        case 'plus':
          return { raw: v >= 0 ? `+${v}` : expected, expected };
        case 'spaces':
          return { raw: `  ${v} `, expected };
        case 'under':
          return { raw: `${sign}${String(abs).replace(/\B(?=(\d{3})+(?!\d))/g, '_')}`, expected };
        case 'hex':
          return { raw: `${sign}0x${abs.toString(16).toUpperCase()}`, expected };
        default:
          return { raw: expected, expected };
      }
    });
}

const TRUE_SPELLINGS = ['true', 'TRUE', 'True', 't', 'T', 'yes', 'Y', 'on', '1', ' true ', 'tr'];
const FALSE_SPELLINGS = ['false', 'F', 'no', 'N', 'off', 'OFF', '0', '  no', 'fal'];

function booleanOf(): fc.Arbitrary<{ raw: string; expected: string }> {
  return fc.oneof(
    fc.constantFrom(...TRUE_SPELLINGS).map((raw) => ({ raw, expected: 'true' })),
    fc.constantFrom(...FALSE_SPELLINGS).map((raw) => ({ raw, expected: 'false' })),
  );
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const DAY_MS = 86_400_000;

function dateOf(): fc.Arbitrary<{ raw: string; expected: string }> {
  const from = Date.UTC(1000, 0, 1) / DAY_MS;
  const to = Date.UTC(9999, 11, 31) / DAY_MS;
  return fc.tuple(fc.integer({ min: from, max: to }), fc.boolean()).map(([day, compact]) => {
    const d = new Date(day * DAY_MS);
    const [y, m, dd] = [pad(d.getUTCFullYear(), 4), pad(d.getUTCMonth() + 1), pad(d.getUTCDate())];
    return { raw: compact ? `${y}${m}${dd}` : `${y}-${m}-${dd}`, expected: `${y}-${m}-${dd}` };
  });
}

/** Division rounding down (BigInt `/` rounds towards zero). */
const floorDiv = (a: bigint, b: bigint): bigint => (a % b < 0n ? a / b - 1n : a / b);

/** A timestamptz as written (with an offset, Z, or no zone = UTC) and its instant in µs. */
function timestampOf(): fc.Arbitrary<{ raw: string; expected: string }> {
  const from = BigInt(Date.UTC(1900, 0, 2)) * 1000n;
  const to = BigInt(Date.UTC(2099, 11, 30)) * 1000n;
  return fc
    .record({
      micros: fc.bigInt({ min: from, max: to }),
      fraction: fc.constantFrom(0, 3, 6),
      zone: fc.constantFrom('none', 'Z', 'hh:mm', 'hh', 'hhmm'),
      offsetQuarters: fc.integer({ min: -48, max: 56 }),
      separator: fc.constantFrom('T', ' '),
    })
    .map((t) => {
      const unit = 10n ** BigInt(6 - t.fraction);
      const instant = floorDiv(t.micros, unit) * unit;
      const offsetMin =
        t.zone === 'hh:mm' || t.zone === 'hhmm'
          ? t.offsetQuarters * 15
          : t.zone === 'hh'
            ? Math.trunc(t.offsetQuarters / 4) * 60
            : 0;
      const localMicros = instant + BigInt(offsetMin) * 60_000_000n;
      const seconds = floorDiv(localMicros, 1_000_000n);
      const d = new Date(Number(seconds) * 1000);
      const micro = Number(localMicros - seconds * 1_000_000n);
      const frac = t.fraction === 0 ? '' : `.${pad(micro, 6).slice(0, t.fraction)}`;
      const local = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}${t.separator}${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac}`;
      const sign = offsetMin < 0 ? '-' : '+';
      const abs = Math.abs(offsetMin);
      const zone =
        t.zone === 'none'
          ? ''
          : t.zone === 'Z'
            ? 'Z'
            : t.zone === 'hh'
              ? `${sign}${pad(abs / 60)}`
              : t.zone === 'hhmm'
                ? `${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
                : `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
      return { raw: `${local}${zone}`, expected: instant.toString() };
    });
}

/** A valid cell for a column (optional columns are sometimes empty: NULL). */
export function validCell(column: Column, keyPool: readonly string[] = []): fc.Arbitrary<Cell> {
  const t = column.type;
  let value: fc.Arbitrary<{ raw: string; expected: string | null }>;
  switch (t.kind) {
    case 'uuid': {
      const fresh = uuidOf().map((u) => ({ raw: u.raw, expected: u.canonical }));
      value =
        keyPool.length === 0
          ? fresh
          : fc.oneof(
              { weight: 4, arbitrary: fresh },
              {
                weight: 1,
                arbitrary: fc.constantFrom(...keyPool).map((k) => ({ raw: k.toUpperCase(), expected: k })),
              },
            );
      break;
    }
    case 'text': {
      const min = column.required ? 1 : 0;
      value = textOf(t.maxLength ?? 1000, min).map((s) => ({ raw: s, expected: s }));
      break;
    }
    case 'numeric':
      value = numericOf();
      break;
    case 'integer':
    case 'bigint':
      value = integerOf();
      break;
    case 'boolean':
      value = booleanOf();
      break;
    case 'date':
      value = dateOf();
      break;
    case 'timestamptz':
      value = timestampOf();
      break;
  }
  const withNull = column.required
    ? value
    : fc.oneof(
        { weight: 5, arbitrary: value },
        { weight: 1, arbitrary: fc.constant({ raw: '', expected: null }) },
      );
  return fc
    .tuple(withNull, fc.integer({ min: 0, max: 3 }))
    .map(([v, q]) => cell(v.raw, v.raw === '' ? null : v.expected, q === 0 || /[",\r\n]/.test(v.raw)));
}

const BAD_VALUES: Readonly<Record<string, readonly string[]>> = {
  uuid: [
    'not-a-uuid',
    '1234',
    '00000000-0000-4000-8000-00000000000g',
    '{00000000-0000-4000-8000-000000000001',
    'ＤＥＡＤ',
  ],
  numeric: [
    'twelve',
    '12,5',
    '1.234',
    '12345678901',
    '1e10',
    'NaN',
    'Infinity',
    '-inf',
    '1.2.3',
    '$5',
    '١٢',
    '1,000.00',
  ],
  integer: ['1.5', '2147483648', '-2147483649', 'abc', '0x', '1__0', '٣'],
  boolean: ['maybe', '2', 'o', 'yess', 'nein', '✓'],
  date: ['2024-02-30', '03/04/2024', 'infinity', '2024-13-01', '-infinity', '2024-1-1x', 'ＹＹＹＹ'],
  timestamptz: [
    '2024-13-01T00:00:00Z',
    'infinity',
    '-infinity',
    '2024-05-01T25:00:00Z',
    'noon-ish',
    '2024-05-01T10:00:00+99:00',
  ],
};

/** A refused cell for a column, with the code the refusal must carry. */
export function badCell(column: Column): fc.Arbitrary<BadCell> {
  const t = column.type;
  const options: fc.Arbitrary<{ raw: string; code: ErrorCode }>[] = [];
  if (column.required)
    options.push(fc.constantFrom('', '""').map((raw) => ({ raw, code: 'REQUIRED_VALUE_MISSING' as const })));
  if (t.kind === 'text') {
    const max = t.maxLength ?? 0;
    options.push(
      fc
        .tuple(fc.integer({ min: 1, max: 20 }), fc.constantFrom('x', 'é', '🎉', ' ', '"', '\n'))
        .map(([extra, fill]) => ({ raw: fill.repeat(max + extra), code: 'VALUE_TOO_LONG' as const })),
    );
  } else {
    const list = BAD_VALUES[t.kind === 'bigint' ? 'integer' : t.kind] ?? [];
    options.push(fc.constantFrom(...list).map((raw) => ({ raw, code: 'INVALID_VALUE' as const })));
  }
  return fc.oneof(...options).map((b) => {
    // `""` stands for a quoted empty field (also NULL: FORCE_NULL).
    if (b.raw === '""') return { raw: '', quote: true, expected: null, code: b.code };
    return { raw: b.raw, quote: /[",\r\n]/.test(b.raw), expected: null, code: b.code };
  });
}

const mutationOf = (rate: number): fc.Arbitrary<Mutation> =>
  fc
    .double({ min: 0, max: 1, noNaN: true })
    .chain((r) =>
      r >= rate
        ? fc.constant<Mutation>({ kind: 'none' })
        : fc.oneof(
            { weight: 6, arbitrary: fc.nat(99).map((pick): Mutation => ({ kind: 'bad-value', pick })) },
            { weight: 1, arbitrary: fc.constant<Mutation>({ kind: 'missing-field' }) },
            { weight: 1, arbitrary: fc.constant<Mutation>({ kind: 'extra-field' }) },
            { weight: 1, arbitrary: fc.constant<Mutation>({ kind: 'other-eol' }) },
            { weight: 1, arbitrary: fc.constant<Mutation>({ kind: 'blank-line-before' }) },
            { weight: 2, arbitrary: fc.nat(99).map((pick): Mutation => ({ kind: 'duplicate-key', pick })) },
            { weight: 1, arbitrary: fc.constant<Mutation>({ kind: 'unclosed-quote' }) },
          ),
    );

function rowOf(dataset: DatasetDefinition, rate: number, keyPool: readonly string[]): fc.Arbitrary<RowSpec> {
  const cells: Record<string, fc.Arbitrary<Cell>> = {};
  const bad: Record<string, fc.Arbitrary<BadCell>> = {};
  for (const column of dataset.columns) {
    const isKey = dataset.key.includes(column.name);
    cells[column.name] =
      isKey && column.type.kind === 'text'
        ? // Keys without line breaks: a CRLF file rewrites breaks, which could make two keys equal.
          validCell(column).filter((c) => !/[\r\n]/.test(c.raw))
        : validCell(column, isKey ? keyPool : []);
    bad[column.name] = badCell(column);
  }
  return fc.record({ cells: fc.record(cells), bad: fc.record(bad), mutation: mutationOf(rate) });
}

const keyOf = (dataset: DatasetDefinition, row: RowSpec): string =>
  dataset.key.map((k) => row.cells[k]?.expected ?? '').join('\u0000');

/** A whole file for `dataset`: header variants, line-ending style, rows with `rate` of them mutated. */
export function fileSpecOf(
  dataset: DatasetDefinition,
  keyPool: readonly string[] = [],
): fc.Arbitrary<FileSpec> {
  const optional = dataset.columns.filter((c) => !c.required).map((c) => c.name);
  const required = dataset.columns.filter((c) => c.required).map((c) => c.name);
  return fc
    .record({
      rate: fc.constantFrom(0, 0, 0.05, 0.2, 0.5),
      optional: fc.subarray(optional),
      order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), {
        minLength: dataset.columns.length,
        maxLength: dataset.columns.length,
      }),
      spelling: fc.array(fc.constantFrom('same', 'upper', 'spaces', 'quoted', 'mixed'), {
        minLength: dataset.columns.length,
        maxLength: dataset.columns.length,
      }),
      eol: fc.constantFrom<'\n' | '\r\n'>('\n', '\r\n'),
      bom: fc.boolean(),
      finalEol: fc.boolean(),
      trailingBlankLines: fc.constantFrom(0, 0, 1, 3),
    })
    .chain((f) =>
      (dataset.key.length === 0
        ? fc.array(rowOf(dataset, f.rate, keyPool), { maxLength: 30 })
        : // Keys are unique unless a row is MADE a duplicate (mutation duplicate-key).
          fc.uniqueArray(rowOf(dataset, f.rate, keyPool), {
            maxLength: 30,
            selector: (row) => keyOf(dataset, row),
          })
      ).map((rows): FileSpec => {
        const chosen = [...required, ...f.optional];
        const columns = chosen
          .map((name, i) => ({ name, at: f.order[i] ?? 0 }))
          .sort((a, b) => a.at - b.at)
          .map((c) => c.name);
        const headerNames = columns.map((name, i) => spell(name, f.spelling[i] ?? 'same'));
        return {
          dataset,
          columns,
          headerNames,
          eol: f.eol,
          bom: f.bom,
          finalEol: f.finalEol,
          trailingBlankLines: f.finalEol ? f.trailingBlankLines : 0,
          rows,
        };
      }),
    );
}

function spell(name: string, how: string): string {
  switch (how) {
    case 'upper':
      return name.toUpperCase();
    case 'spaces':
      return `  ${name} `;
    case 'quoted':
      return `"${name}"`;
    case 'mixed':
      return [...name].map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join('');
    default:
      return name;
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering and the oracle

function renderField(c: Cell, eol: string): { text: string; expected: string | null } {
  // In a CRLF file a lone CR or LF inside a value becomes a space (same length): PostgreSQL
  // counts those differently from the file's lines (a documented caveat of line numbers), and
  // the point here is that reported lines are exact. CRLF pairs stay.
  const crlf = (s: string) =>
    eol === '\r\n' ? s.replace(/\r\n|\r|\n/g, (m) => (m === '\r\n' ? m : ' ')) : s;
  const raw = crlf(c.raw);
  const quote = c.quote || /[",\r\n]/.test(raw);
  const text = quote ? `"${raw.replaceAll('"', '""')}"` : raw;
  return { text, expected: c.expected === null ? null : crlf(c.expected) };
}

const lineBreaks = (s: string) => s.split('\n').length - 1;

interface ValidRow {
  readonly line: number;
  readonly values: Readonly<Record<string, string | null>>;
  readonly key: string;
}

/**
 * The file's bytes and what loading it must give, from the documented rules:
 *
 * - value errors are soft: such a row is skipped and reported (line, column, code); with
 *   `maxRejects` 0 any of them refuses the file, else up to `maxRejects` are skipped and one
 *   more refuses it with `TOO_MANY_REJECTED_ROWS`;
 * - structural faults (field count, a line break where CSV allows none) stop the load at that
 *   row: refused with the first reported row's code, listing the value errors before it and
 *   the fault; a key twice in a `replace` file is found when COPY flushes its buffered rows, so
 *   the value errors of the whole (small) file come before it;
 * - an unclosed quote refuses the file as `UNCLOSED_QUOTE` on the line where it opens; only
 *   when a structural fault or the reject limit comes earlier do the two race (PostgreSQL's
 *   answer to the earlier row versus the end of the input), and either refusal is correct;
 * - in an `upsert` file a key twice is `DUPLICATE_KEY` on each repeat, once the rows are in;
 * - otherwise the file loads: exactly its valid rows, with optional columns left out as NULL
 *   (or, for an upsert of an existing key, unchanged).
 */
export function renderFile(spec: FileSpec, baseline: Baseline): RenderedFile {
  const { dataset, eol } = spec;
  const other = eol === '\n' ? '\r\n' : '\n';
  const kinds: Record<string, number> = {};
  let body = `${spec.bom ? '\ufeff' : ''}${spec.headerNames.join(',')}`;
  let pending = eol; // the line ending of the record written last
  let line = 2; // the line the next record starts on
  const soft: ExpectedRowError[] = [];
  const valid: ValidRow[] = [];
  let fault: ExpectedRowError | undefined;
  let unclosed: number | undefined;
  let tooMany = false;
  let duplicate: ExpectedRowError | undefined;
  const keyColumns = dataset.key.length > 0 ? dataset.key : [dataset.columns[0]?.name ?? ''];

  for (let i = 0; i < spec.rows.length; i++) {
    const row = spec.rows[i] as RowSpec;
    const mutation = row.mutation;
    let kind = mutation.kind;
    // A mutation that is no fault in this position is a valid row.
    if (
      (kind === 'other-eol' && i === spec.rows.length - 1) ||
      (kind === 'duplicate-key' && valid.length === 0)
    )
      kind = 'none';
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    const cells: Record<string, Cell> = { ...row.cells };
    let badColumn: string | undefined;
    if (kind === 'duplicate-key' && mutation.kind === 'duplicate-key') {
      const source = valid[mutation.pick % valid.length] as ValidRow;
      for (const k of keyColumns) {
        const value = source.values[k] ?? '';
        cells[k] = { raw: value, quote: true, expected: value };
      }
    }
    if (kind === 'bad-value' && mutation.kind === 'bad-value') {
      badColumn = spec.columns[mutation.pick % spec.columns.length] as string;
      cells[badColumn] = row.bad[badColumn] as BadCell;
    }
    const fields = spec.columns.map((name) => renderField(cells[name] as Cell, eol));
    let text = fields.map((f) => f.text).join(',');
    if (kind === 'unclosed-quote')
      text = `"${spec.columns.map((name) => (cells[name] as Cell).raw.replace(/["\r\n]/g, '')).join(',')}`;
    if (kind === 'missing-field')
      text = fields
        .slice(0, -1)
        .map((f) => f.text)
        .join(',');
    if (kind === 'extra-field') text = `${text},extra`;
    if (kind === 'blank-line-before') {
      body += pending; // ends the previous record; the blank line follows
      pending = eol;
      // A blank line is one empty field (NULL) and nothing else: PostgreSQL converts the first
      // column before it notices the missing ones, so a required first column makes it a
      // skippable row of empty values, an optional one a row with too few fields.
      const first = dataset.columns.find((c) => c.name === spec.columns[0]);
      if (fault === undefined && !tooMany) {
        if (!first?.required) fault = { line, code: 'WRONG_COLUMN_COUNT', column: spec.columns[1] as string };
        else {
          soft.push({ line, code: 'REQUIRED_VALUE_MISSING', column: first.name });
          tooMany = dataset.maxRejects > 0 && soft.length > dataset.maxRejects;
        }
      }
      line++;
      kind = 'none';
    }
    body += pending + text;
    pending = kind === 'other-eol' ? other : eol;

    if (fault === undefined && !tooMany && kind !== 'unclosed-quote') {
      if (badColumn !== undefined) {
        const code = (row.bad[badColumn] as BadCell).code;
        // The row over the limit is reported too; then COPY stops.
        soft.push({ line, code, column: badColumn });
        tooMany = dataset.maxRejects > 0 && soft.length > dataset.maxRejects;
      } else if (kind === 'missing-field') {
        fault = { line, code: 'WRONG_COLUMN_COUNT', column: spec.columns[spec.columns.length - 1] as string };
      } else if (kind === 'extra-field' || kind === 'other-eol') {
        fault = { line, code: 'WRONG_COLUMN_COUNT' };
      } else if (kind === 'duplicate-key' && dataset.mode === 'replace') {
        // The table's primary key refuses the repeat, but only when COPY flushes its batch of
        // buffered rows (at the end of these small files): the rows after it are read first.
        duplicate ??= { line, code: 'DUPLICATE_KEY', column: dataset.key.join(', ') };
      } else {
        const values: Record<string, string | null> = {};
        spec.columns.forEach((name, j) => {
          values[name] = (fields[j] as { expected: string | null }).expected;
        });
        valid.push({ line, values, key: dataset.key.map((k) => values[k] ?? '').join('\u0000') });
      }
    }
    if (kind === 'unclosed-quote') {
      unclosed = line;
      break; // it swallows the rest of the file
    }
    line += lineBreaks(text) + 1;
  }
  if (spec.finalEol && unclosed === undefined) body += pending + eol.repeat(spec.trailingBlankLines);
  return {
    bytes: Buffer.from(body, 'utf8'),
    expected: expectedOutcome(spec, baseline, { soft, valid, fault, unclosed, tooMany, duplicate }),
    kinds,
  };
}

function expectedOutcome(
  spec: FileSpec,
  baseline: Baseline,
  found: {
    soft: ExpectedRowError[];
    valid: ValidRow[];
    fault: ExpectedRowError | undefined;
    unclosed: number | undefined;
    tooMany: boolean;
    duplicate: ExpectedRowError | undefined;
  },
): Expected {
  const { dataset } = spec;
  const { soft, valid, fault, unclosed, tooMany, duplicate } = found;
  if (unclosed !== undefined) {
    if (fault === undefined && !tooMany) {
      return {
        ok: false,
        codes: ['UNCLOSED_QUOTE'],
        rowErrors: [{ line: unclosed, code: 'UNCLOSED_QUOTE' }],
        rowsRejected: 1,
      };
    }
    // Two problems race: PostgreSQL's answer to the earlier row, and the end of the input.
    return {
      ok: false,
      codes: [
        'UNCLOSED_QUOTE',
        tooMany ? 'TOO_MANY_REJECTED_ROWS' : (soft[0]?.code ?? fault?.code ?? 'WRONG_COLUMN_COUNT'),
      ],
    };
  }
  if (tooMany)
    return {
      ok: false,
      codes: ['TOO_MANY_REJECTED_ROWS'],
      rowErrors: soft,
      rowsRejected: dataset.maxRejects + 1,
    };
  if (fault !== undefined) {
    return {
      ok: false,
      codes: [soft[0]?.code ?? fault.code],
      rowErrors: [...soft, fault],
      rowsRejected: soft.length + 1,
    };
  }
  if (duplicate !== undefined) {
    return {
      ok: false,
      codes: [soft[0]?.code ?? 'DUPLICATE_KEY'],
      rowErrors: [...soft, duplicate],
      rowsRejected: soft.length + 1,
    };
  }
  if (soft.length > dataset.maxRejects) {
    return {
      ok: false,
      codes: [soft[0]?.code ?? 'INVALID_VALUE'],
      rowErrors: soft,
      rowsRejected: soft.length,
    };
  }
  if (dataset.mode === 'upsert') {
    const seen = new Set<string>();
    const repeats: ExpectedRowError[] = [];
    for (const row of valid) {
      if (seen.has(row.key))
        repeats.push({ line: row.line, code: 'DUPLICATE_KEY', column: dataset.key.join(', ') });
      seen.add(row.key);
    }
    if (repeats.length > 0)
      return { ok: false, codes: ['DUPLICATE_KEY'], rowErrors: repeats, rowsRejected: repeats.length };
  }
  const existing = new Map(
    (baseline.rows[dataset.table] ?? []).map((r) => [dataset.key.map((k) => r[k] ?? '').join('\u0000'), r]),
  );
  const rows = valid.map((row) => {
    const out: Record<string, string | null> = {};
    const before = dataset.mode === 'upsert' ? existing.get(row.key) : undefined;
    for (const column of dataset.columns) {
      out[column.name] =
        column.name in row.values ? (row.values[column.name] ?? null) : (before?.[column.name] ?? null);
    }
    return out;
  });
  return { ok: true, rows, rowsRejected: soft.length, rejects: soft };
}

// ---------------------------------------------------------------------------------------------
// Arbitrary files: no oracle for the content, only for the shape of the answer

const RAW_FRAGMENTS: readonly (readonly number[])[] = [
  [0x00], // NUL
  [0xef, 0xbb, 0xbf], // a UTF-8 BOM, anywhere
  [0xff, 0xfe], // a UTF-16 LE BOM
  [0xfe, 0xff], // a UTF-16 BE BOM
  [0xc3], // a truncated two-byte sequence
  [0xc0, 0xae], // an over-long '.'
  [0xed, 0xa0, 0x80], // an encoded surrogate
  [0xf4, 0x90, 0x80, 0x80], // past U+10FFFF
  [0xe9], // Latin-1 'é'
];

/**
 * Any bytes at all, biased towards what a CSV reader trips on: the dataset's own header (so
 * most files get past the header check), valid values, separators, quotes, every line-ending
 * style, BOMs, NUL, invalid UTF-8 and random text.
 */
export function arbitraryFileOf(dataset: DatasetDefinition): fc.Arbitrary<Buffer> {
  const header = dataset.columns.map((c) => c.name).join(',');
  const values = fc.oneof(...dataset.columns.map((c) => validCell(c).map((v) => v.raw)));
  const fragment = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom(',', ',', '"', '\n', '\r\n', '\r', ' ', '""', '\\.', 'NULL', '=1+1'),
    },
    { weight: 6, arbitrary: values },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) },
    { weight: 1, arbitrary: fc.constant(header) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_FRAGMENTS).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b)) },
  );
  return fc
    .record({
      bom: fc.constantFrom(false, false, true),
      header: fc.constantFrom('none', 'lf', 'crlf', 'crlf', 'lf'),
      body: fc.array(fragment, { maxLength: 80 }),
    })
    .map(({ bom, header: h, body }) => {
      const start = h === 'none' ? '' : `${header}${h === 'lf' ? '\n' : '\r\n'}`;
      return Buffer.concat([
        Buffer.from(`${bom ? '\ufeff' : ''}${start}`, 'utf8'),
        ...body.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : part)),
      ]);
    });
}

/** The bytes as a stream of chunks of `size` (so every boundary case is crossed somewhere). */
export async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  if (bytes.length === 0) return;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
