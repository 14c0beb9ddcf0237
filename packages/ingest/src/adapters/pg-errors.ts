import { DatabaseError } from '../errors.ts';

/**
 * SQLSTATE classes and codes worth a retry: the connection or server went away, a timeout, a
 * deadlock or serialization failure, resource exhaustion.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const RETRYABLE_CLASSES = new Set(['08', '40', '53', '58']);
const RETRYABLE_CODES = new Set(['57P01', '57P02', '57P03', '57014', '55P03', '55006']);

/** Node socket errors (no SQLSTATE) that mean the connection is gone or unreachable. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/** The SQLSTATE of a `pg` error, when the server sent one. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Whether a `pg` error means the connection itself is broken (so the client must be destroyed,
 * not returned to the pool).
 */
export function isConnectionBroken(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  const state = sqlStateOf(error);
  if (state !== undefined) return state.startsWith('08') || state.startsWith('57P');
  const message = error instanceof Error ? error.message : '';
  // pg's own messages for a socket that closed under it (no code is set on these).
  return /Connection terminated|not queryable|Client was closed|connection timeout/i.test(message);
}

/** Whether a `pg` error is worth a retry. */
export function isRetryablePgError(error: unknown): boolean {
  const state = sqlStateOf(error);
  if (state !== undefined) return RETRYABLE_CLASSES.has(state.slice(0, 2)) || RETRYABLE_CODES.has(state);
  return isConnectionBroken(error);
}

/**
 * Translates a `pg` error into a {@link DatabaseError} at the adapter boundary. The message is
 * ours (`what` failed): PostgreSQL's own message may quote row values, so it stays in `cause`.
 * Errors that already say whether they are retryable (ours, the CSV loader's) pass through.
 *
 * @example
 * catch (error) { throw toDatabaseError(error, 'claiming the job'); }
 */
export function toDatabaseError(error: unknown, what: string): Error {
  if (error instanceof Error && typeof (error as { retryable?: unknown }).retryable === 'boolean')
    return error;
  const sqlState = sqlStateOf(error);
  const retryable = isRetryablePgError(error);
  return new DatabaseError(`database error while ${what}${sqlState ? ` (SQLSTATE ${sqlState})` : ''}`, {
    cause: error,
    retryable,
    ...(sqlState !== undefined && { sqlState }),
  });
}
