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

/**
 * The SQLSTATE of a `pg` error, when the server sent one.
 *
 * @example
 * if (sqlStateOf(error) === '23505') return undefined; // unique violation: already there
 */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Whether a `pg` error means the connection itself is broken (so the client must be destroyed,
 * not returned to the pool).
 *
 * @example
 * client.release(isConnectionBroken(error) ? error : undefined);
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

/**
 * Whether a `pg` error is worth a retry (a package's adapter sets its own error's `retryable`
 * from it).
 *
 * @example
 * throw new DatabaseError('database error while listing grants', { cause: error, retryable: isRetryablePgError(error) });
 */
export function isRetryablePgError(error: unknown): boolean {
  const state = sqlStateOf(error);
  if (state !== undefined) return RETRYABLE_CLASSES.has(state.slice(0, 2)) || RETRYABLE_CODES.has(state);
  return isConnectionBroken(error);
}

/**
 * What a package's own `DatabaseError` says about a failed `pg` call: a message of ours (`what`
 * failed, and the SQLSTATE), never PostgreSQL's, which may quote row values (it stays in the
 * error's `cause`); whether a retry may help; the SQLSTATE when the server sent one.
 *
 * @example
 * const { message, ...fields } = describePgError(error, 'listing file grants');
 * throw new DatabaseError(message, { cause: error, ...fields });
 */
export function describePgError(
  error: unknown,
  what: string,
): { readonly message: string; readonly retryable: boolean; readonly sqlState?: string } {
  const sqlState = sqlStateOf(error);
  return {
    message: `database error while ${what}${sqlState ? ` (SQLSTATE ${sqlState})` : ''}`,
    retryable: isRetryablePgError(error),
    ...(sqlState !== undefined && { sqlState }),
  };
}
