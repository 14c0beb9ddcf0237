import { describe, expect, it } from 'vitest';
import { isConnectionBroken, isRetryablePgError, sqlStateOf } from '../../src/pg.ts';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('PostgreSQL error classification', () => {
  it('reads a SQLSTATE only when the code looks like one', () => {
    expect(sqlStateOf(pgError('23505'))).toBe('23505');
    expect(sqlStateOf(pgError('57P01'))).toBe('57P01');
    expect(sqlStateOf(pgError('ECONNRESET'))).toBeUndefined();
    expect(sqlStateOf(new Error('no code'))).toBeUndefined();
    expect(sqlStateOf(null)).toBeUndefined();
  });

  it('retries connection faults, shutdowns, timeouts, deadlocks, serialization failures and busy locks', () => {
    for (const code of ['08006', '40001', '40P01', '53300', '58030', '57P01', '57014', '55P03', '55006'])
      expect(isRetryablePgError(pgError(code)), code).toBe(true);
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'])
      expect(isRetryablePgError(pgError(code)), code).toBe(true);
    expect(isRetryablePgError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('does not retry what a retry cannot cure: data, constraint, syntax and permission errors', () => {
    for (const code of ['22P02', '23505', '23514', '42601', '42501', '28P01'])
      expect(isRetryablePgError(pgError(code)), code).toBe(false);
    expect(isRetryablePgError(new Error('something else'))).toBe(false);
  });

  it('calls a connection broken for socket faults and connection/shutdown states, not for a busy lock', () => {
    expect(isConnectionBroken(pgError('ECONNRESET'))).toBe(true);
    expect(isConnectionBroken(pgError('08006'))).toBe(true);
    expect(isConnectionBroken(pgError('57P01'))).toBe(true);
    expect(isConnectionBroken(new Error('Client was closed and is not queryable'))).toBe(true);
    expect(isConnectionBroken(pgError('55P03'))).toBe(false);
    expect(isConnectionBroken(pgError('40001'))).toBe(false);
  });
});
