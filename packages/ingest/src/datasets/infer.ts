import { isSafeIdentifier } from './ddl.ts';
import type { ColumnDefinition, ColumnType, DatasetDefinition, LoadMode } from './types.ts';

/**
 * Inference: a declaration from a sample CSV, the way a database console's CSV import proposes
 * columns. One streaming pass with bounded memory (per column a handful of counters, plus the
 * field being read): the header is normalised into safe column names (the original kept as a
 * header alias when it differs), and each column gets the narrowest type every non-empty value
 * fits as PostgreSQL reads it during a load — uuid, integer, bigint, numeric with the observed
 * precision and scale, boolean (PostgreSQL's spellings, when a word shows it is not a number),
 * date (ISO), timestamptz (ISO, with or without an offset), else text with its longest value
 * rounded up — and is required when no value was empty.
 */

export interface InferOptions {
  readonly name: string;
  /** @default 'append' */
  readonly mode?: LoadMode;
  /** Key columns (their inferred names); required for `upsert`. */
  readonly key?: readonly string[];
  /** Stop after this many data rows. @default - the whole sample */
  readonly maxRows?: number;
  /** @default 1 GiB */
  readonly maxFileBytes?: number;
}

export type InferResult =
  | {
      readonly ok: true;
      readonly dataset: DatasetDefinition;
      /** Data rows read. */
      readonly rows: number;
      /** Things a person should check (ambiguous columns, rows of another width, …). */
      readonly notes: readonly string[];
    }
  | { readonly ok: false; readonly problem: string };

/** PostgreSQL's `text` limit for a declared length. */
const MAX_TEXT_LENGTH = 10_485_760;
const DEFAULT_MAX_FILE_BYTES = 1024 ** 3;
const INT4 = 2n ** 31n;
const INT8 = 2n ** 63n;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d*)\.(\d+)$|^[+-]?(\d+)\.$/;
const BOOLEAN_WORDS = new Set(['true', 'false', 't', 'f', 'yes', 'no', 'y', 'n', 'on', 'off']);
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Whether y-m-d is a real calendar day. */
function realDay(y: string, m: string, d: string): boolean {
  const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return (
    date.getUTCFullYear() === Number(y) &&
    date.getUTCMonth() === Number(m) - 1 &&
    date.getUTCDate() === Number(d)
  );
}

/** Per column: which types every value seen so far fits, and the figures each needs. */
class ColumnStats {
  values = 0;
  empties = 0;
  maxLength = 0;
  uuid = true;
  integer = true;
  decimal = true;
  boolean = true;
  booleanWord = false;
  date = true;
  timestamp = true;
  maxInt = 0n;
  intDigits = 0;
  scale = 0;

  add(raw: string): void {
    if (raw === '') {
      this.empties++;
      return;
    }
    this.values++;
    const length = [...raw].length;
    if (length > this.maxLength) this.maxLength = length;
    // PostgreSQL's input functions of these types ignore surrounding spaces; text keeps them.
    const v = raw.trim();
    if (this.uuid && !UUID.test(v)) this.uuid = false;
    if (this.boolean) {
      const word = v.toLowerCase();
      if (BOOLEAN_WORDS.has(word)) this.booleanWord = true;
      else if (word !== '0' && word !== '1') this.boolean = false;
    }
    if (INTEGER.test(v)) {
      const n = BigInt(v);
      const abs = n < 0n ? -n : n;
      if (abs > this.maxInt) this.maxInt = abs;
      this.intDigits = Math.max(this.intDigits, abs === 0n ? 1 : abs.toString().length);
    } else {
      this.integer = false;
      const m = DECIMAL.exec(v);
      if (m === null) this.decimal = false;
      else {
        const whole = (m[1] ?? m[3] ?? '').replace(/^0+/, '');
        this.intDigits = Math.max(this.intDigits, whole.length);
        this.scale = Math.max(this.scale, (m[2] ?? '').length);
      }
    }
    const d = DATE.exec(v);
    const isDate = d !== null && realDay(d[1] as string, d[2] as string, d[3] as string);
    if (!isDate) this.date = false;
    // A date alone is a timestamp too (midnight, UTC during a load).
    if (this.timestamp && !isDate) {
      const t = TIMESTAMP.exec(v);
      const ok =
        t !== null &&
        realDay(t[1] as string, t[2] as string, t[3] as string) &&
        Number(t[4]) < 24 &&
        Number(t[5]) < 60 &&
        Number(t[6] ?? 0) < 60;
      if (!ok) this.timestamp = false;
    }
  }

  /** The narrowest declared type every value fits, and a note when the choice is a guess. */
  type(): { type: ColumnType; note?: string } {
    if (this.values === 0) return { type: { kind: 'text' }, note: 'every value is empty: declared as text' };
    if (this.uuid) return { type: { kind: 'uuid' } };
    if (this.boolean && this.booleanWord) return { type: { kind: 'boolean' } };
    if (this.integer) {
      const note = this.boolean
        ? 'only 0 and 1: declared as integer; make it boolean if it is a flag'
        : undefined;
      if (this.maxInt < INT4) return { type: { kind: 'integer' }, ...(note && { note }) };
      if (this.maxInt < INT8) return { type: { kind: 'bigint' } };
      return { type: { kind: 'numeric', precision: Math.min(1000, this.intDigits), scale: 0 } };
    }
    if (this.decimal) {
      const precision = Math.min(1000, Math.max(1, this.intDigits + this.scale));
      return { type: { kind: 'numeric', precision, scale: Math.min(this.scale, precision) } };
    }
    if (this.date) return { type: { kind: 'date' } };
    if (this.timestamp)
      return { type: { kind: 'timestamptz' }, note: 'values without an offset are read as UTC' };
    return { type: { kind: 'text', maxLength: roundedLength(this.maxLength) } };
  }
}

/** The longest value rounded up to a power of two (at least 8), or no limit past PostgreSQL's. */
function roundedLength(longest: number): number {
  let n = 8;
  while (n < longest) n *= 2;
  return Math.min(n, MAX_TEXT_LENGTH);
}

/**
 * A header cell as a safe column name: accents dropped, lower case, runs of other characters as
 * `_`, a leading digit prefixed, a reserved word suffixed with `_value`, repeats numbered.
 */
function safeName(header: string, index: number, taken: Set<string>): string {
  let name = header
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (name === '') name = `column_${index + 1}`;
  if (/^\d/.test(name)) name = `c_${name}`;
  name = name.slice(0, 56);
  if (!isSafeIdentifier(name)) name = `${name}_value`;
  let unique = name;
  for (let n = 2; taken.has(unique); n++) unique = `${name}_${n}`;
  taken.add(unique);
  return unique;
}

/**
 * Splits a CSV byte stream into records (RFC 4180: `,`, `"` quoting with `""`, line breaks
 * inside quotes kept, LF or CRLF ends), decoding UTF-8 as it goes. Memory: the current record.
 */
async function* csvRecords(source: AsyncIterable<Uint8Array>): AsyncGenerator<string[]> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let afterQuote = false;
  let pendingCr = false;
  const endField = () => {
    fields.push(field);
    field = '';
    afterQuote = false;
  };
  for await (const chunk of source) {
    const text = decoder.decode(chunk, { stream: true });
    for (const ch of text) {
      if (pendingCr) {
        pendingCr = false;
        if (ch === '\n') {
          endField();
          yield fields;
          fields = [];
          continue;
        }
        field += '\r';
      }
      if (quoted) {
        if (ch === '"') {
          quoted = false;
          afterQuote = true;
        } else field += ch;
      } else if (ch === '"') {
        // `""` inside a quoted field is a literal quote: the quote re-opens right after closing.
        if (afterQuote) field += '"';
        quoted = true;
      } else if (ch === ',') endField();
      else if (ch === '\n') {
        endField();
        yield fields;
        fields = [];
      } else if (ch === '\r') pendingCr = true;
      else {
        field += ch;
        afterQuote = false;
      }
      if (field.length > MAX_TEXT_LENGTH)
        throw new InferError(`a value is longer than ${MAX_TEXT_LENGTH} characters`);
    }
  }
  field += decoder.decode();
  if (quoted) throw new InferError('a quoted field is never closed');
  // A last line without its line break (a lone CR there is a line end too).
  if (field !== '' || fields.length > 0) {
    endField();
    yield fields;
  }
}

class InferError extends Error {}

/**
 * Reads a sample CSV and infers a dataset declaration from it (see the module comment).
 *
 * @example
 * const result = await inferDataset(createReadStream('orders.csv'), { name: 'orders' });
 * if (result.ok) console.log(JSON.stringify(declaredForm(result.dataset), null, 2));
 */
export async function inferDataset(
  source: AsyncIterable<Uint8Array>,
  options: InferOptions,
): Promise<InferResult> {
  const notes: string[] = [];
  let header: string[] | undefined;
  let stats: ColumnStats[] = [];
  let rows = 0;
  let ragged = 0;
  try {
    for await (const record of csvRecords(source)) {
      if (header === undefined) {
        if (record.length === 1 && (record[0] ?? '').trim() === '') continue;
        header = record.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h));
        stats = header.map(() => new ColumnStats());
        continue;
      }
      // A blank line carries no values (the loader ignores trailing ones).
      if (record.length === 1 && record[0] === '' && header.length > 1) continue;
      if (record.length !== header.length) ragged++;
      for (const [i, column] of stats.entries()) column.add(record[i] ?? '');
      rows++;
      if (options.maxRows !== undefined && rows >= options.maxRows) {
        notes.push(`read the first ${rows} rows only (--max-rows)`);
        break;
      }
    }
  } catch (error) {
    if (error instanceof TypeError) return { ok: false, problem: 'the file is not UTF-8 text' };
    if (error instanceof InferError) return { ok: false, problem: error.message };
    throw error;
  }
  if (header === undefined) return { ok: false, problem: 'the file has no header row' };
  if (ragged > 0)
    notes.push(
      `${ragged} row${ragged === 1 ? ' has' : 's have'} another number of fields than the header; a load refuses such rows`,
    );
  const taken = new Set<string>();
  const key = options.key ?? [];
  const columns: ColumnDefinition[] = header.map((raw, i) => {
    const name = safeName(raw, i, taken);
    const s = stats[i] as ColumnStats;
    const { type, note } = s.type();
    if (note) notes.push(`${name}: ${note}`);
    const isKey = key.includes(name);
    if (isKey && s.empties > 0) notes.push(`${name}: a key column, yet ${s.empties} values are empty`);
    const alias = raw.trim().toLowerCase() === name ? [] : [raw];
    return {
      name,
      type,
      required: rows > 0 && (s.empties === 0 || isKey),
      ...(alias.length > 0 && { aliases: alias }),
    };
  });
  const mode = options.mode ?? 'append';
  const unknownKey = key.filter((k) => !columns.some((c) => c.name === k));
  if (unknownKey.length > 0)
    return {
      ok: false,
      problem: `--key names no inferred column: ${unknownKey.join(', ')} (columns: ${columns.map((c) => c.name).join(', ')})`,
    };
  if (mode === 'upsert' && key.length === 0)
    return {
      ok: false,
      problem: 'an upsert dataset needs --key (the columns that say which row a line updates)',
    };
  return {
    ok: true,
    rows,
    notes,
    dataset: {
      name: options.name,
      table: options.name,
      mode,
      key: [...key],
      columns,
      maxRejects: 0,
      maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      uploadGroups: [],
    },
  };
}
