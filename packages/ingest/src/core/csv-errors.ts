import type { ErrorCode } from '@herald/protocol';
import type { ColumnDefinition } from '../datasets/types.ts';
import { IngestError } from '../errors.ts';
import type { RowErrorDetail } from './load-contract.ts';

/** At most this many refused rows are described (`job.failed`, reject report). */
export const MAX_ROW_ERRORS = 100;

/** At most this many characters of a refused value are shown. */
export const MAX_VALUE_EXCERPT = 80;

/**
 * A fault that is NOT a problem with the file: the database or the object store failed, or the
 * caller misused the loader. `retryable` tells the worker whether to retry the message (e.g. the
 * connection was lost, the server is shutting down, a serialization failure) or to give up.
 */
export class CsvLoadError extends IngestError {
  readonly jobId: string | undefined;

  constructor(message: string, options: { retryable: boolean; jobId?: string; cause?: unknown }) {
    super(message, { cause: options.cause, retryable: options.retryable });
    this.name = 'CsvLoadError';
    this.jobId = options.jobId;
  }
}

/** A value as shown to people: at most {@link MAX_VALUE_EXCERPT} characters. */
export function excerptValue(value: string): string {
  const chars = [...value];
  return chars.length > MAX_VALUE_EXCERPT ? `${chars.slice(0, MAX_VALUE_EXCERPT - 1).join('')}…` : value;
}

/**
 * The sentence for one refused row or header cell.
 *
 * @example
 * formatRowError({ line: 1042, column: 'amount', reason: "'12,5' is not a number", code: 'INVALID_VALUE' });
 * // "line 1042, column amount: '12,5' is not a number"
 */
export function formatRowError(error: RowErrorDetail): string {
  return error.column === undefined
    ? `line ${error.line}: ${error.reason}`
    : `line ${error.line}, column ${error.column}: ${error.reason}`;
}

/**
 * The job's failure sentence: the first refused row, and how many more there were.
 *
 * @example
 * failureMessage([first, second], 2); // "line 3, column amount: '12,5' is not a number (and 1 more row refused)"
 */
export function failureMessage(
  errors: readonly RowErrorDetail[],
  rowsRejected: number,
  atLeast = false,
): string {
  const first = errors[0];
  if (first === undefined) return `${rowsRejected} rows were refused.`;
  const more = rowsRejected - 1;
  const suffix =
    more <= 0
      ? ''
      : ` (and ${atLeast ? 'at least ' : ''}${more} more ${more === 1 ? 'row' : 'rows'} refused)`;
  return `${formatRowError(first)}${suffix}`;
}

const NUMBER = /^[+-]?(?:\d[\d_]*)?(?:\.(\d*))?(?:[eE][+-]?\d+)?$/;
const DECIMAL_COMMA = /^[+-]?\d[\d.\s']*,\d+$/;

function describeNumeric(value: string, precision: number, scale: number): string {
  const v = value.trim();
  if (/^[+-]?(?:nan|inf|infinity)$/i.test(v)) return `'${excerptValue(value)}' is not a finite number`;
  if (NUMBER.test(v) && /\d/.test(v)) {
    const decimals = (NUMBER.exec(v)?.[1] ?? '').replace(/0+$/, '').length;
    if (/[eE]/.test(v)) {
      return `'${excerptValue(value)}' is out of range or has more than ${scale} decimal places (numeric(${precision},${scale}))`;
    }
    if (decimals > scale) {
      return `'${excerptValue(value)}' has more than ${scale} decimal ${scale === 1 ? 'place' : 'places'}; it would have to be rounded`;
    }
    return `'${excerptValue(value)}' is out of range (at most ${precision - scale} digits before the decimal point)`;
  }
  if (DECIMAL_COMMA.test(v))
    return `'${excerptValue(value)}' is not a number (use a dot as the decimal separator)`;
  return `'${excerptValue(value)}' is not a number`;
}

function describeWhole(value: string, bits: 32 | 64): string {
  const v = value.trim();
  if (/^[+-]?\d[\d_]*$/.test(v))
    return `'${excerptValue(value)}' is out of range for a ${bits}-bit whole number`;
  return `'${excerptValue(value)}' is not a whole number`;
}

/**
 * Why PostgreSQL refused `value` (the text as read from the file; `null` for an empty field) in
 * `column`: PostgreSQL's skip notice names the line, column and value but not the reason, and
 * each declared type allows only a few reasons.
 *
 * @example
 * describeRejectedValue(amountColumn, '12.345', 7);
 * // { line: 7, column: 'amount', value: '12.345', code: 'INVALID_VALUE',
 * //   reason: "'12.345' has more than 2 decimal places; it would have to be rounded" }
 */
export function describeRejectedValue(
  column: ColumnDefinition | undefined,
  columnName: string,
  value: string | null,
  line: number,
): RowErrorDetail {
  const at = { line, column: columnName };
  if (value === null) {
    return { ...at, code: 'REQUIRED_VALUE_MISSING', reason: 'a value is required, but the field is empty' };
  }
  const shown = { ...at, value: excerptValue(value) };
  const invalid = (reason: string, code: ErrorCode = 'INVALID_VALUE'): RowErrorDetail => ({
    ...shown,
    code,
    reason,
  });
  const t = column?.type;
  switch (t?.kind) {
    case 'text':
      // The only input error a varchar(n) has is its length.
      return invalid(
        t.maxLength === undefined
          ? `'${excerptValue(value)}' was refused`
          : `'${excerptValue(value)}' is longer than ${t.maxLength} ${t.maxLength === 1 ? 'character' : 'characters'}`,
        t.maxLength === undefined ? 'INVALID_VALUE' : 'VALUE_TOO_LONG',
      );
    case 'numeric':
      return invalid(describeNumeric(value, t.precision, t.scale));
    case 'integer':
      return invalid(describeWhole(value, 32));
    case 'bigint':
      return invalid(describeWhole(value, 64));
    case 'boolean':
      return invalid(`'${excerptValue(value)}' is not a boolean (use true/false, yes/no or 1/0)`);
    case 'date':
      return invalid(
        /infinity/i.test(value)
          ? `'${excerptValue(value)}' is not a finite date`
          : `'${excerptValue(value)}' is not a valid date (use YYYY-MM-DD)`,
      );
    case 'timestamptz':
      return invalid(
        /infinity/i.test(value)
          ? `'${excerptValue(value)}' is not a finite timestamp`
          : `'${excerptValue(value)}' is not a valid timestamp (use ISO 8601, e.g. 2024-05-01T13:45:00Z)`,
      );
    case 'uuid':
      return invalid(`'${excerptValue(value)}' is not a UUID`);
    default:
      return invalid(`'${excerptValue(value)}' was refused`);
  }
}
