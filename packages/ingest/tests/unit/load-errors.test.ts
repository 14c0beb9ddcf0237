import { describe, expect, it } from 'vitest';
import {
  CsvLoadError,
  describeRejectedValue,
  excerptValue,
  failureMessage,
  formatRowError,
} from '../../src/core/csv-errors.ts';
import type { ColumnDefinition } from '../../src/datasets/index.ts';

const col = (type: ColumnDefinition['type'], name = 'c'): ColumnDefinition => ({
  name,
  type,
  required: false,
});
const reason = (type: ColumnDefinition['type'], value: string | null) =>
  describeRejectedValue(col(type), 'c', value, 7).reason;

describe('describeRejectedValue', () => {
  it('says why a numeric value was refused', () => {
    const numeric = { kind: 'numeric', precision: 12, scale: 2 } as const;
    expect(describeRejectedValue(col(numeric, 'amount'), 'amount', '12,5', 1042)).toEqual({
      line: 1042,
      column: 'amount',
      value: '12,5',
      code: 'INVALID_VALUE',
      reason: "'12,5' is not a number (use a dot as the decimal separator)",
    });
    expect(formatRowError(describeRejectedValue(col(numeric, 'amount'), 'amount', 'abc', 3))).toBe(
      "line 3, column amount: 'abc' is not a number",
    );
    expect(reason(numeric, '12.345')).toBe(
      "'12.345' has more than 2 decimal places; it would have to be rounded",
    );
    expect(reason(numeric, '12345678901')).toBe(
      "'12345678901' is out of range (at most 10 digits before the decimal point)",
    );
    expect(reason(numeric, 'NaN')).toBe("'NaN' is not a finite number");
    expect(reason(numeric, '1e20')).toMatch(/out of range or has more than 2 decimal places/);
  });

  it('says why whole numbers, booleans, dates, timestamps and UUIDs were refused', () => {
    expect(reason({ kind: 'integer' }, '1.5')).toBe("'1.5' is not a whole number");
    expect(reason({ kind: 'integer' }, '99999999999')).toBe(
      "'99999999999' is out of range for a 32-bit whole number",
    );
    expect(reason({ kind: 'bigint' }, '99999999999999999999')).toMatch(/64-bit/);
    expect(reason({ kind: 'boolean' }, 'maybe')).toBe(
      "'maybe' is not a boolean (use true/false, yes/no or 1/0)",
    );
    expect(reason({ kind: 'date' }, '2024-02-30')).toBe("'2024-02-30' is not a valid date (use YYYY-MM-DD)");
    expect(reason({ kind: 'date' }, 'infinity')).toBe("'infinity' is not a finite date");
    expect(reason({ kind: 'timestamptz' }, 'noon')).toMatch(/is not a valid timestamp \(use ISO 8601/);
    expect(reason({ kind: 'uuid' }, 'zz')).toBe("'zz' is not a UUID");
  });

  it('classifies an over-long text as VALUE_TOO_LONG and an empty required field as REQUIRED_VALUE_MISSING', () => {
    const text = describeRejectedValue(col({ kind: 'text', maxLength: 3 }), 'currency', 'EURO', 4);
    expect([text.code, text.reason]).toEqual(['VALUE_TOO_LONG', "'EURO' is longer than 3 characters"]);
    const empty = describeRejectedValue(col({ kind: 'uuid' }), 'c', null, 4);
    expect([empty.code, empty.value, empty.reason]).toEqual([
      'REQUIRED_VALUE_MISSING',
      undefined,
      'a value is required, but the field is empty',
    ]);
  });

  it('never shows more than 80 characters of a value, counting characters not bytes', () => {
    const long = 'é'.repeat(300);
    const detail = describeRejectedValue(col({ kind: 'text', maxLength: 10 }), 'c', long, 2);
    expect([...(detail.value ?? '')]).toHaveLength(80);
    expect(excerptValue('short')).toBe('short');
  });
});

describe('failureMessage', () => {
  const e = { line: 3, column: 'amount', reason: "'x' is not a number", code: 'INVALID_VALUE' } as const;

  it('is the first error, then how many more rows were refused', () => {
    expect(failureMessage([e], 1)).toBe("line 3, column amount: 'x' is not a number");
    expect(failureMessage([e, e], 2)).toBe(
      "line 3, column amount: 'x' is not a number (and 1 more row refused)",
    );
    expect(failureMessage([e], 101, true)).toBe(
      "line 3, column amount: 'x' is not a number (and at least 100 more rows refused)",
    );
  });

  it('formats an error without a column', () => {
    expect(formatRowError({ line: 9, reason: 'the row has more fields', code: 'WRONG_COLUMN_COUNT' })).toBe(
      'line 9: the row has more fields',
    );
  });
});

describe('CsvLoadError', () => {
  it('carries name, retryable, jobId and cause', () => {
    const cause = new Error('socket hang up');
    const error = new CsvLoadError('reading failed', { retryable: true, jobId: 'j', cause });
    expect([error.name, error.retryable, error.jobId, error.cause]).toEqual([
      'CsvLoadError',
      true,
      'j',
      cause,
    ]);
    expect(error).toBeInstanceOf(Error);
  });
});
