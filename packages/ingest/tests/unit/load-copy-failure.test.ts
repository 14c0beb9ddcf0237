import { describe, expect, it } from 'vitest';
import {
  type CopyErrorFields,
  type CopyFailureState,
  copyFailure,
  loadFailure,
  scanFailure,
} from '../../src/core/csv-copy-failure.ts';
import type { LoadOutcome, RowErrorDetail } from '../../src/core/load-contract.ts';
import { PRICE_LIST, TRANSACTIONS } from '../support/sample-datasets.ts';

// The errors below are PostgreSQL 18's (SQLSTATE, message, DETAIL, CONTEXT) for COPY into the
// datasets' tables, as the local stack reports them.

const state = (overrides: Partial<CopyFailureState> = {}): CopyFailureState => ({
  dataset: TRANSACTIONS,
  headerFields: 6,
  rejects: [],
  rejected: 0,
  openQuoteLine: 0,
  startLineOf: (line) => line,
  ...overrides,
});

/** The refusal, failing the test when the error was taken for a fault. */
function refusal(error: CopyErrorFields, at: CopyFailureState = state()) {
  const outcome = copyFailure(error, at);
  if (outcome === undefined || outcome.ok)
    throw new Error(`expected a refusal, got ${JSON.stringify(outcome)}`);
  return outcome;
}

const amountReject: RowErrorDetail = {
  line: 2,
  column: 'amount',
  value: '12,5',
  code: 'INVALID_VALUE',
  reason: "'12,5' is not a number (use a dot as the decimal separator)",
};

describe('copyFailure', () => {
  it('TOO_MANY_REJECTED_ROWS: more rows refused than the dataset allows, naming the first', () => {
    const outcome = refusal(
      {
        code: '22P02',
        message: 'skipped more than REJECT_LIMIT (2) rows due to data type incompatibility',
        where: 'COPY price_list, line 5, column price: "x"',
      },
      state({ dataset: { ...PRICE_LIST, maxRejects: 2 }, rejects: [amountReject], rejected: 3 }),
    );
    expect(outcome).toEqual({
      ok: false,
      code: 'TOO_MANY_REJECTED_ROWS',
      message:
        "More than 2 rows were refused (the dataset allows 2); first: line 2, column amount: '12,5' is not a number (use a dot as the decimal separator).",
      rowErrors: [amountReject],
      rowsRejected: 3,
    });
  });

  it("the first refused row's code when a dataset that allows none hits COPY's own limit of 100", () => {
    const rejects = Array.from({ length: 100 }, (_, i) => ({ ...amountReject, line: i + 2 }));
    const outcome = refusal(
      {
        code: '22P02',
        message: 'skipped more than REJECT_LIMIT (100) rows due to data type incompatibility',
        where: 'COPY transactions, line 103, column amount: "x"',
      },
      state({ rejects, rejected: 100 }),
    );
    expect(outcome.code).toBe('INVALID_VALUE');
    expect(outcome.message).toBe(
      "line 2, column amount: '12,5' is not a number (use a dot as the decimal separator) (and at least 100 more rows refused)",
    );
    expect(outcome.rowsRejected).toBe(101);
    expect(outcome.rowErrors).toHaveLength(100);
  });

  it('UNCLOSED_QUOTE: on the line where the quote opened, not where PostgreSQL gave up', () => {
    const outcome = refusal(
      { code: '22P04', message: 'unterminated CSV quoted field', where: 'COPY transactions, line 9: "…"' },
      state({ openQuoteLine: 3 }),
    );
    expect(outcome).toEqual({
      ok: false,
      code: 'UNCLOSED_QUOTE',
      message: 'line 3: a quoted field starts here and is never closed',
      rowErrors: [
        { line: 3, code: 'UNCLOSED_QUOTE', reason: 'a quoted field starts here and is never closed' },
      ],
      rowsRejected: 1,
    });
  });

  it('WRONG_COLUMN_COUNT: too few fields, naming the first missing column', () => {
    const outcome = refusal({
      code: '22P04',
      message: 'missing data for column "occurred_at"',
      where: 'COPY transactions, line 3: "a,b,1.00,EUR"',
    });
    expect(outcome).toEqual({
      ok: false,
      code: 'WRONG_COLUMN_COUNT',
      message: "line 3, column occurred_at: the row has fewer fields than the header's 6",
      rowErrors: [
        {
          line: 3,
          column: 'occurred_at',
          code: 'WRONG_COLUMN_COUNT',
          reason: "the row has fewer fields than the header's 6",
        },
      ],
      rowsRejected: 1,
    });
  });

  it.each([
    ['extra data after last expected column', "line 3: the row has more fields than the header's 6"],
    [
      'unquoted carriage return found in data',
      'line 3: a line break is not where the CSV structure allows it: the file mixes Windows (CRLF) and Unix (LF) line endings, or has an unquoted carriage return; save it with one line-ending style',
    ],
    [
      'literal newline found in data',
      'line 3: a line break is not where the CSV structure allows it: the file mixes Windows (CRLF) and Unix (LF) line endings, or has an unquoted carriage return; save it with one line-ending style',
    ],
    ['end-of-copy marker corrupt', 'line 3: the row is not valid CSV'],
  ])('WRONG_COLUMN_COUNT: "%s" reads "%s"', (message, sentence) => {
    const outcome = refusal({ code: '22P04', message, where: 'COPY transactions, line 3: "…"' });
    expect([outcome.code, outcome.message, outcome.rowsRejected]).toEqual([
      'WRONG_COLUMN_COUNT',
      sentence,
      1,
    ]);
  });

  it('NOT_UTF8: the line that is not UTF-8 text', () => {
    const outcome = refusal({
      code: '22021',
      message: 'invalid byte sequence for encoding "UTF8": 0xff',
      where: 'COPY transactions, line 3',
    });
    expect([outcome.code, outcome.message]).toEqual([
      'NOT_UTF8',
      'line 3: the line is not valid UTF-8 text (save the file as CSV UTF-8)',
    ]);
  });

  it('DUPLICATE_KEY: the key and its columns from the DETAIL, or a sentence without them', () => {
    const error = {
      code: '23505',
      message: 'duplicate key value violates unique constraint "price_list_pkey"',
      detail: 'Key (sku)=(X) already exists.',
      where: 'COPY price_list, line 4',
    };
    const outcome = refusal(error, state({ dataset: PRICE_LIST, headerFields: 4 }));
    expect(outcome).toEqual({
      ok: false,
      code: 'DUPLICATE_KEY',
      message: "line 4, column sku: 'X' appears more than once in the file",
      rowErrors: [
        {
          line: 4,
          column: 'sku',
          value: 'X',
          code: 'DUPLICATE_KEY',
          reason: "'X' appears more than once in the file",
        },
      ],
      rowsRejected: 1,
    });
    const bare = refusal({ ...error, detail: undefined }, state({ dataset: PRICE_LIST }));
    expect(bare.message).toBe('line 4: the key appears more than once in the file');
  });

  it('REQUIRED_VALUE_MISSING: the column PostgreSQL names', () => {
    const outcome = refusal({
      code: '23502',
      message: 'null value in column "currency" of relation "transactions" violates not-null constraint',
      column: 'currency',
      where: 'COPY transactions, line 7: "…"',
    });
    expect([outcome.code, outcome.message, outcome.rowErrors[0]?.column]).toEqual([
      'REQUIRED_VALUE_MISSING',
      'line 7, column currency: a value is required, but the field is empty',
      'currency',
    ]);
  });

  it('INVALID_VALUE: a row that breaks a constraint of the table, by name', () => {
    for (const code of ['23514', '23503', '23P01']) {
      const outcome = refusal({
        code,
        message: 'new row for relation "transactions" violates check constraint "transactions_amount_check"',
        constraint: 'transactions_amount_check',
        where: 'COPY transactions, line 5: "…"',
      });
      expect([code, outcome.code, outcome.message]).toEqual([
        code,
        'INVALID_VALUE',
        'line 5: the row breaks the rule transactions_amount_check',
      ]);
    }
  });

  it('INVALID_VALUE: a hard input error, with the reason the declared column type gives', () => {
    const outcome = refusal({
      code: '22003',
      message: 'numeric field overflow',
      where: 'COPY transactions, line 2, column amount: "12345678901"',
    });
    expect(outcome.rowErrors).toEqual([
      {
        line: 2,
        column: 'amount',
        value: '12345678901',
        code: 'INVALID_VALUE',
        reason: "'12345678901' is out of range (at most 10 digits before the decimal point)",
      },
    ]);
    expect(outcome.message).toBe(
      "line 2, column amount: '12345678901' is out of range (at most 10 digits before the decimal point)",
    );
    const unquoted = refusal({
      code: '22007',
      message: 'invalid input syntax',
      where: 'COPY transactions, line 2',
    });
    expect([unquoted.code, unquoted.message]).toEqual(['INVALID_VALUE', 'line 2: a value was refused']);
  });

  it('VALUE_TOO_LONG: a value longer than its column, with or without the value', () => {
    const outcome = refusal({
      code: '22001',
      message: 'value too long for type character varying(3)',
      where: 'COPY transactions, line 2, column currency: "EURO"',
    });
    expect([outcome.code, outcome.message]).toEqual([
      'VALUE_TOO_LONG',
      "line 2, column currency: 'EURO' is longer than 3 characters",
    ]);
    const bare = refusal({
      code: '22001',
      message: 'value too long for type character varying(3)',
      where: 'COPY transactions, line 2',
    });
    expect([bare.code, bare.message]).toEqual(['VALUE_TOO_LONG', 'line 2: a value was refused']);
  });

  it('names the first line of a record that spans lines', () => {
    const outcome = refusal(
      {
        code: '22021',
        message: 'invalid byte sequence for encoding "UTF8": 0xff',
        where: 'COPY transactions, line 5',
      },
      state({ startLineOf: (line) => (line === 5 ? 4 : line) }),
    );
    expect(outcome.rowErrors[0]?.line).toBe(4);
  });

  it('adds the row at fault after the rows refused before it, with the first one’s code', () => {
    const outcome = refusal(
      {
        code: '22021',
        message: 'invalid byte sequence for encoding "UTF8": 0xff',
        where: 'COPY transactions, line 9',
      },
      state({ dataset: { ...TRANSACTIONS, maxRejects: 5 }, rejects: [amountReject], rejected: 2 }),
    );
    expect(outcome.code).toBe('INVALID_VALUE');
    expect(outcome.rowsRejected).toBe(3);
    expect(outcome.rowErrors.map((r) => [r.line, r.code])).toEqual([
      [2, 'INVALID_VALUE'],
      [9, 'NOT_UTF8'],
    ]);
    expect(outcome.message).toBe(
      "line 2, column amount: '12,5' is not a number (use a dot as the decimal separator) (and 2 more rows refused)",
    );
  });

  it('leaves faults of the database to the loader (undefined)', () => {
    const faults: CopyErrorFields[] = [
      { code: '57P01', message: 'terminating connection due to administrator command' },
      { code: '40001', message: 'could not serialize access due to concurrent update' },
      { code: '42P01', message: 'relation "transactions" does not exist' },
      { code: '53100', message: 'could not extend file: No space left on device' },
    ];
    for (const fault of faults) expect(copyFailure(fault, state())).toBeUndefined();
  });
});

describe('scanFailure', () => {
  it('names the line when the scanner knows it, and counts no row for a header problem', () => {
    expect(
      scanFailure({ code: 'NOT_UTF8', line: 4, reason: 'the line contains a NUL byte' }),
    ).toEqual<LoadOutcome>({
      ok: false,
      code: 'NOT_UTF8',
      message: 'line 4: the line contains a NUL byte',
      rowErrors: [{ line: 4, code: 'NOT_UTF8', reason: 'the line contains a NUL byte' }],
      rowsRejected: 1,
    });
    expect(
      scanFailure({ code: 'HEADER_MISMATCH', line: 1, reason: 'the header is empty' }).rowsRejected,
    ).toBe(0);
  });

  it('makes a sentence of a problem without a line', () => {
    expect(scanFailure({ code: 'EMPTY_FILE', reason: 'the file is empty' })).toEqual(
      loadFailure('EMPTY_FILE', 'The file is empty.'),
    );
  });
});
