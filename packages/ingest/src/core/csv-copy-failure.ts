import type { ErrorCode } from '@herald/protocol';
import type { DatasetDefinition } from '../datasets/types.ts';
import {
  isRejectLimitError,
  parseCopyContext,
  parseKeyDetail,
  parseMissingColumn,
} from './csv-copy-messages.ts';
import {
  describeRejectedValue,
  excerptValue,
  failureMessage,
  formatRowError,
  MAX_ROW_ERRORS,
} from './csv-errors.ts';
import type { ScanProblem } from './csv-scanner.ts';
import type { LoadOutcome, RowErrorDetail } from './load-contract.ts';

/**
 * Which PostgreSQL errors that end a `COPY ... FROM STDIN` are the FILE's fault, and the
 * sentence a person reads for each. The loader copies the error's fields into a
 * {@link CopyErrorFields} (no `pg` types here) and gets a refusal back, or `undefined` for a
 * fault of the database (lost connection, shutdown, a rule of our own that failed), which the
 * loader throws instead.
 */

/**
 * The fields of PostgreSQL's ErrorResponse the mapping reads, as plain strings.
 * https://www.postgresql.org/docs/current/protocol-error-fields.html
 */
export interface CopyErrorFields {
  /** SQLSTATE, e.g. `22P04` (bad COPY file format) or `23505` (unique violation). */
  readonly code: string;
  readonly message: string;
  readonly detail?: string | undefined;
  /** CONTEXT; for COPY `COPY t, line 5, column amount: "12,5"` (pg calls it `where`). */
  readonly where?: string | undefined;
  readonly column?: string | undefined;
  readonly constraint?: string | undefined;
}

/** What the loader knows when COPY fails. */
export interface CopyFailureState {
  readonly dataset: Pick<DatasetDefinition, 'columns' | 'maxRejects'>;
  /** Fields in the file's header: the number every row must have. */
  readonly headerFields: number;
  /** Rows refused and skipped before the error (the first {@link MAX_ROW_ERRORS}). */
  readonly rejects: readonly RowErrorDetail[];
  /** How many rows were refused and skipped before the error, in all. */
  readonly rejected: number;
  /** The line where the quoted field that is still open began (the scanner tracks it). */
  readonly openQuoteLine: number;
  /** The first line of the record PostgreSQL names by its LAST physical line. */
  readonly startLineOf: (line: number) => number;
}

/**
 * A refused load: a stable code, a sentence, the first refused rows and how many in all.
 *
 * @example
 * loadFailure('EMPTY_FILE', 'The file is empty.');
 * // { ok: false, code: 'EMPTY_FILE', message: 'The file is empty.', rowErrors: [], rowsRejected: 0 }
 */
export function loadFailure(
  code: ErrorCode,
  message: string,
  rowErrors: readonly RowErrorDetail[] = [],
  rowsRejected = 0,
): LoadOutcome {
  return { ok: false, code, message, rowErrors, rowsRejected };
}

/**
 * The refusal for a problem the byte scanner found before PostgreSQL saw the bytes.
 *
 * @example
 * scanFailure({ code: 'UNCLOSED_QUOTE', line: 3, reason: 'a quoted field starts here and is never closed' });
 * // { ok: false, code: 'UNCLOSED_QUOTE', message: 'line 3: a quoted field starts here and is never closed', … }
 */
export function scanFailure(problem: ScanProblem): LoadOutcome {
  if (problem.line === undefined) return loadFailure(problem.code, `${capitalize(problem.reason)}.`);
  const detail: RowErrorDetail = { line: problem.line, reason: problem.reason, code: problem.code };
  return loadFailure(
    problem.code,
    formatRowError(detail),
    [detail],
    problem.code === 'HEADER_MISMATCH' ? 0 : 1,
  );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * A COPY error that is the file's fault, as a refusal; `undefined` for anything else. The row at
 * fault is added after the rows refused before it, and the job fails with the first one's code.
 *
 * @example
 * copyFailure(
 *   { code: '22021', message: 'invalid byte sequence for encoding "UTF8": 0xff', where: 'COPY t, line 3' },
 *   { dataset, headerFields: 6, rejects: [], rejected: 0, openQuoteLine: 0, startLineOf: (line) => line },
 * );
 * // { ok: false, code: 'NOT_UTF8', rowsRejected: 1,
 * //   message: 'line 3: the line is not valid UTF-8 text (save the file as CSV UTF-8)', rowErrors: [...] }
 */
export function copyFailure(error: CopyErrorFields, state: CopyFailureState): LoadOutcome | undefined {
  const { code, message } = error;
  const { dataset, rejects, rejected } = state;
  const context = parseCopyContext(error.where);
  const line = context.line === undefined ? undefined : state.startLineOf(context.line);
  const rowFailure = (errorCode: ErrorCode, reason: string, column?: string, value?: string) => {
    const detail: RowErrorDetail = {
      line: line ?? 0,
      reason,
      code: errorCode,
      ...(column === undefined ? {} : { column }),
      ...(value === undefined ? {} : { value: excerptValue(value) }),
    };
    const rowErrors = [...rejects, detail].slice(0, MAX_ROW_ERRORS);
    const rowsRejected = rejected + 1;
    const sentence = rejects.length > 0 ? failureMessage(rowErrors, rowsRejected) : formatRowError(detail);
    return loadFailure(rejects[0]?.code ?? errorCode, sentence, rowErrors, rowsRejected);
  };

  if (code === '22P02' && isRejectLimitError(message)) {
    const atLeast = Math.max(rejected, (dataset.maxRejects || MAX_ROW_ERRORS) + 1);
    if (dataset.maxRejects > 0) {
      return loadFailure(
        'TOO_MANY_REJECTED_ROWS',
        `More than ${dataset.maxRejects} rows were refused (the dataset allows ${dataset.maxRejects}); first: ${rejects[0] ? formatRowError(rejects[0]) : 'unknown'}.`,
        rejects,
        atLeast,
      );
    }
    return loadFailure(
      rejects[0]?.code ?? 'INVALID_VALUE',
      failureMessage(rejects, atLeast, true),
      rejects,
      atLeast,
    );
  }
  if (code === '22P04') {
    const missing = parseMissingColumn(message);
    const expected = state.headerFields;
    if (message.startsWith('unterminated CSV quoted field')) {
      return scanFailure({
        code: 'UNCLOSED_QUOTE',
        line: state.openQuoteLine,
        reason: 'a quoted field starts here and is never closed',
      });
    }
    if (missing !== undefined) {
      return rowFailure(
        'WRONG_COLUMN_COUNT',
        `the row has fewer fields than the header's ${expected}`,
        missing,
      );
    }
    if (message.startsWith('extra data after last expected column')) {
      return rowFailure('WRONG_COLUMN_COUNT', `the row has more fields than the header's ${expected}`);
    }
    if (/(unquoted|literal) (carriage return|newline) found in data/.test(message)) {
      return rowFailure(
        'WRONG_COLUMN_COUNT',
        'a line break is not where the CSV structure allows it: the file mixes Windows (CRLF) and Unix (LF) line endings, or has an unquoted carriage return; save it with one line-ending style',
      );
    }
    return rowFailure('WRONG_COLUMN_COUNT', 'the row is not valid CSV');
  }
  if (code === '22021') {
    return rowFailure('NOT_UTF8', 'the line is not valid UTF-8 text (save the file as CSV UTF-8)');
  }
  if (code === '23505') {
    const key = parseKeyDetail(error.detail);
    return rowFailure(
      'DUPLICATE_KEY',
      key
        ? `'${excerptValue(key.value)}' appears more than once in the file`
        : 'the key appears more than once in the file',
      key?.columns.join(', '),
      key?.value,
    );
  }
  if (code === '23502') {
    return rowFailure(
      'REQUIRED_VALUE_MISSING',
      'a value is required, but the field is empty',
      error.column ?? context.column,
    );
  }
  if (code === '23514' || code === '23503' || code === '23P01') {
    return rowFailure(
      'INVALID_VALUE',
      `the row breaks the rule ${error.constraint ?? 'of the table'}`,
      error.column ?? context.column,
      context.value,
    );
  }
  if (code.startsWith('22')) {
    // Input errors are soft under ON_ERROR ignore; these come from a table that has hard
    // rules of its own (a test dataset, a future column type).
    const column = context.column;
    if (column !== undefined && context.value !== undefined) {
      const declared = dataset.columns.find((c) => c.name === column);
      const detail = describeRejectedValue(declared, column, context.value, line ?? 0);
      return rowFailure(detail.code, detail.reason, column, context.value);
    }
    return rowFailure(code === '22001' ? 'VALUE_TOO_LONG' : 'INVALID_VALUE', 'a value was refused', column);
  }
  return undefined;
}
