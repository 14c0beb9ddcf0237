import { describe, expect, it } from 'vitest';
import { decodeHeader, mapHeader, normalizeHeaderName, splitCsvRecord } from '../../src/core/header.ts';
import { TRANSACTIONS } from '../support/sample-datasets.ts';

const names = (fields: string[]) => {
  const mapping = mapHeader(fields, TRANSACTIONS);
  return mapping.ok ? mapping.columns.map((c) => c.name) : mapping;
};

describe('splitCsvRecord', () => {
  it('splits on commas and unquotes quoted fields with doubled quotes and commas', () => {
    expect(splitCsvRecord('a,"b,c","d ""e"""')).toEqual(['a', 'b,c', 'd "e"']);
  });

  it('keeps empty fields, including a trailing one', () => {
    expect(splitCsvRecord('a,,b,')).toEqual(['a', '', 'b', '']);
  });

  it('reports an unclosed quote as undefined', () => {
    expect(splitCsvRecord('a,"b')).toBeUndefined();
  });
});

describe('decodeHeader', () => {
  it('decodes UTF-8 and refuses invalid byte sequences', () => {
    expect(decodeHeader(new TextEncoder().encode('prix,café'))).toBe('prix,café');
    expect(decodeHeader(Uint8Array.from([0x61, 0xff, 0x62]))).toBeUndefined();
  });
});

describe('mapHeader', () => {
  it('matches names ignoring case and surrounding spaces, in file order', () => {
    expect(normalizeHeaderName('  Amount ')).toBe('amount');
    expect(
      names([' Amount', 'CURRENCY ', 'transaction_id', 'Customer_External_Id', 'occurred_at', 'note']),
    ).toEqual(['amount', 'currency', 'transaction_id', 'customer_external_id', 'occurred_at', 'note']);
  });

  it('lets an optional column be left out', () => {
    expect(names(['transaction_id', 'customer_external_id', 'amount', 'currency', 'occurred_at'])).toEqual([
      'transaction_id',
      'customer_external_id',
      'amount',
      'currency',
      'occurred_at',
    ]);
  });

  it('reports unknown (with a suggestion), duplicate and missing required columns together', () => {
    const mapping = mapHeader(
      ['transaction_id', 'amout', 'currency', 'Currency', 'occurred_at'],
      TRANSACTIONS,
    );
    expect(mapping.ok).toBe(false);
    if (mapping.ok) return;
    expect(mapping.errors.map((e) => [e.code, e.line, e.column, e.reason])).toEqual([
      [
        'HEADER_MISMATCH',
        1,
        'amout',
        "'amout' is not a column of dataset transactions (did you mean 'amount'?)",
      ],
      ['HEADER_MISMATCH', 1, 'currency', 'column currency appears twice (header fields 3 and 4)'],
      ['HEADER_MISMATCH', 1, 'customer_external_id', 'required column customer_external_id is missing'],
      ['HEADER_MISMATCH', 1, 'amount', 'required column amount is missing'],
    ]);
    expect(mapping.message).toMatch(/^The header row does not match dataset transactions: 'amout' is not/);
    expect(mapping.message).toContain('Expected columns: transaction_id, customer_external_id, amount');
    expect(mapping.message).toContain('note (optional)');
  });

  it('refuses an empty header field and an empty first line', () => {
    const gap = mapHeader(['transaction_id', '', 'amount'], TRANSACTIONS);
    expect(gap.ok === false && gap.errors[0]?.reason).toBe('header field 2 is empty');
    const blank = mapHeader([''], TRANSACTIONS);
    expect(blank.ok === false && blank.errors.map((e) => e.reason)).toEqual([
      'the first line is empty; it must be the header row naming the columns',
    ]);
  });

  it('keeps the refusal small for a header of 10,000 unknown names, still naming every missing column', () => {
    const mapping = mapHeader(
      Array.from({ length: 10_000 }, (_, i) => `c${i}`),
      TRANSACTIONS,
    );
    expect(mapping.ok).toBe(false);
    if (mapping.ok) return;
    // A job.failed event must fit a 128 KB WebSocket frame; the sentence stays a sentence.
    expect(mapping.message.length).toBeLessThan(2000);
    expect(mapping.message).toMatch(/'c9' is not a column of dataset transactions; required column/);
    expect(mapping.message).toContain('required column occurred_at is missing (and 9990 more problems).');
    expect(mapping.errors).toHaveLength(100);
    expect(mapping.errors.slice(-5).map((e) => e.column)).toEqual([
      'transaction_id',
      'customer_external_id',
      'amount',
      'currency',
      'occurred_at',
    ]);
  });

  it('cuts a long unknown header cell to an 80-character excerpt', () => {
    const mapping = mapHeader(['x'.repeat(500)], TRANSACTIONS);
    expect(mapping.ok).toBe(false);
    if (mapping.ok) return;
    expect(mapping.errors[0]?.value).toHaveLength(80);
    expect(mapping.errors[0]?.column?.length).toBeLessThanOrEqual(80);
  });
});
