import { MAX_ROW_ERRORS } from '@herald/protocol';
import type { ColumnDefinition, DatasetDefinition } from '../datasets/types.ts';
import type { RowErrorDetail } from './load-contract.ts';

/**
 * The header row: decoding, splitting and mapping its names onto a dataset's columns.
 *
 * Rules (docs/adr/002-ingest-load-path.md):
 * - names match declared columns ignoring case and surrounding spaces (`" Amount "` → `amount`);
 * - columns may come in any order; the loader hands PostgreSQL a column list in file order;
 * - an unknown, empty or repeated name, or a missing REQUIRED column, refuses the file;
 * - an optional column may be left out: its value is NULL for new rows (and left unchanged on
 *   rows an upsert updates).
 */

/** Header cells are at most this long in a refusal message; the header itself is bounded by the scanner. */
const EXCERPT = 80;

/** Problems with header cells named in the refusal sentence (all missing columns are named too). */
const MESSAGE_PROBLEMS = 10;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The header bytes as text, or `undefined` when they are not valid UTF-8. */
export function decodeHeader(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Splits one CSV record (RFC 4180: `,` delimiter, `"` quotes, `""` a literal quote) into fields.
 * Returns `undefined` when a quote is never closed.
 *
 * @example
 * splitCsvRecord('id,"a ""b"", c"'); // ['id', 'a "b", c']
 */
export function splitCsvRecord(text: string): string[] | undefined {
  const fields: string[] = [];
  let field = '';
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuote) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuote = false;
      } else field += ch;
    } else if (ch === '"') inQuote = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  if (inQuote) return undefined;
  fields.push(field);
  return fields;
}

/** How a header name is compared with declared column names. */
export function normalizeHeaderName(name: string): string {
  return name.trim().toLowerCase();
}

export type HeaderMapping =
  | {
      readonly ok: true;
      /** The dataset columns in FILE order: the COPY column list. */
      readonly columns: readonly ColumnDefinition[];
    }
  | {
      readonly ok: false;
      readonly message: string;
      /** One entry per problem, all on line 1. */
      readonly errors: readonly RowErrorDetail[];
    };

function excerpt(value: string): string {
  return value.length > EXCERPT ? `${value.slice(0, EXCERPT - 1)}…` : value;
}

/** Levenshtein distance, small strings only (header names). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Maps header fields onto the dataset's columns, or lists every problem with the header.
 *
 * @example
 * mapHeader(['Amount ', 'transaction_id'], TRANSACTIONS);
 * // { ok: false, errors: [...'required column customer_external_id is missing'...] }
 */
export function mapHeader(fields: readonly string[], dataset: DatasetDefinition): HeaderMapping {
  // Names and aliases, compared as normalized header cells are (declarations keep them distinct).
  const declared = new Map(
    dataset.columns.flatMap((c) =>
      [c.name, ...(c.aliases ?? [])].map((n) => [normalizeHeaderName(n), c] as const),
    ),
  );
  const seen = new Map<string, number>();
  const columns: ColumnDefinition[] = [];
  const errors: RowErrorDetail[] = [];
  const missing: RowErrorDetail[] = [];
  const problem = (reason: string, column?: string, value?: string, into = errors) =>
    into.push({
      line: 1,
      reason,
      code: 'HEADER_MISMATCH',
      ...(column === undefined ? {} : { column }),
      ...(value === undefined ? {} : { value: excerpt(value) }),
    });

  if (fields.length === 1 && (fields[0] ?? '').trim() === '') {
    problem('the first line is empty; it must be the header row naming the columns');
  } else {
    fields.forEach((raw, index) => {
      const name = normalizeHeaderName(raw);
      const position = index + 1;
      const column = declared.get(name);
      if (name === '') {
        problem(`header field ${position} is empty`);
      } else if (column === undefined) {
        const close = dataset.columns.find((c) => !seen.has(c.name) && distance(c.name, name) <= 2);
        const hint = close === undefined ? '' : ` (did you mean '${close.name}'?)`;
        problem(`'${excerpt(raw)}' is not a column of dataset ${dataset.name}${hint}`, excerpt(raw), raw);
      } else if (seen.has(column.name)) {
        problem(
          `column ${column.name} appears twice (header fields ${seen.get(column.name)} and ${position})`,
          column.name,
          raw,
        );
      } else {
        seen.set(column.name, position);
        columns.push(column);
      }
    });
    for (const column of dataset.columns) {
      if (column.required && !seen.has(column.name)) {
        problem(`required column ${column.name} is missing`, column.name, undefined, missing);
      }
    }
  }
  if (errors.length + missing.length === 0) return { ok: true, columns };
  const expected = dataset.columns.map((c) => (c.required ? c.name : `${c.name} (optional)`)).join(', ');
  // A hostile header (tens of thousands of unknown names within the scanner's 64 KiB) must not
  // make a refusal of megabytes: the sentence names the first few problems and every missing
  // column (bounded by the declaration); the list keeps at most MAX_ROW_ERRORS, always with
  // the missing columns in it.
  const named = [...errors.slice(0, MESSAGE_PROBLEMS), ...missing];
  const more = errors.length + missing.length - named.length;
  const problems = named.map((e) => e.reason).join('; ');
  const rest = more > 0 ? ` (and ${more} more ${more === 1 ? 'problem' : 'problems'})` : '';
  const message = `The header row does not match dataset ${dataset.name}: ${problems}${rest}. Expected columns: ${expected}.`;
  const kept = Math.max(0, MAX_ROW_ERRORS - missing.length);
  return { ok: false, message, errors: [...errors.slice(0, kept), ...missing].slice(0, MAX_ROW_ERRORS) };
}
