import { describe, expect, it } from 'vitest';
import {
  isRejectLimitError,
  parseCopyContext,
  parseKeyDetail,
  parseMissingColumn,
  parseSkippedRowNotice,
  parseSkippedSummary,
} from '../../src/core/csv-copy-messages.ts';

// The texts below are copied from PostgreSQL 18's output in the local stack.
describe('COPY message readers', () => {
  it('read a skip notice with a value, a value with quotes and newlines, and null input', () => {
    expect(
      parseSkippedRowNotice('skipping row due to data type incompatibility at line 5 for column "g": "zz"'),
    ).toEqual({ line: 5, column: 'g', value: 'zz' });
    expect(
      parseSkippedRowNotice(
        'skipping row due to data type incompatibility at line 9 for column "a": "a"b\ncd"',
      ),
    ).toEqual({ line: 9, column: 'a', value: 'a"b\ncd' });
    expect(
      parseSkippedRowNotice(
        'skipping row due to data type incompatibility at line 2 for column "a": null input',
      ),
    ).toEqual({ line: 2, column: 'a', value: null });
    expect(parseSkippedRowNotice('table "k" does not exist, skipping')).toBeUndefined();
  });

  it('read the closing skip count and the REJECT_LIMIT error', () => {
    expect(parseSkippedSummary('9 rows were skipped due to data type incompatibility')).toBe(9);
    expect(parseSkippedSummary('1 row was skipped due to data type incompatibility')).toBe(1);
    expect(
      isRejectLimitError('skipped more than REJECT_LIMIT (2) rows due to data type incompatibility'),
    ).toBe(true);
  });

  it('read line, column and value from a CONTEXT, never a whole-row echo', () => {
    expect(parseCopyContext('COPY k, line 5, column ts: "x"')).toEqual({ line: 5, column: 'ts', value: 'x' });
    expect(parseCopyContext('COPY t2, line 3: "ab,1,1"')).toEqual({ line: 3 });
    expect(parseCopyContext('COPY t2, line 3')).toEqual({ line: 3 });
    expect(parseCopyContext('SQL function "f"\nCOPY t2, line 4')).toEqual({ line: 4 });
    expect(parseCopyContext(undefined)).toEqual({});
  });

  it('read a unique violation key and a missing column', () => {
    expect(parseKeyDetail('Key (sku)=(A-1) already exists.')).toEqual({ columns: ['sku'], value: 'A-1' });
    expect(parseKeyDetail('Key (a, b)=(1, 2) already exists.')).toEqual({
      columns: ['a', 'b'],
      value: '1, 2',
    });
    expect(parseKeyDetail('Failing row contains (…).')).toBeUndefined();
    expect(parseMissingColumn('missing data for column "d"')).toBe('d');
  });
});
