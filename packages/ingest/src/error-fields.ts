import { IngestError } from './errors.ts';

// Apart from log.ts (which loads `@herald/realtime`'s logger) so that core/ can use it and stay
// free of the realtime package's adapters.

/**
 * An error as log fields: name, message, SQLSTATE or S3 code, retryable. PostgreSQL data and
 * integrity errors (SQLSTATE classes 22 and 23) quote row values in their messages
 * (`Key (id)=(…) already exists`), so their message is left out: row contents never reach a log.
 *
 * @example
 * log.log('error', 'load failed', { error: errorFields(error) });
 */
export function errorFields(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { name: typeof error };
  const code = (error as { code?: unknown }).code;
  const sqlState = (error as { sqlState?: unknown }).sqlState ?? code;
  const quotesData = typeof sqlState === 'string' && /^2[23][0-9A-Z]{3}$/.test(sqlState);
  const fields: Record<string, unknown> = { name: error.name };
  // Our own messages never quote data.
  if (!quotesData || error instanceof IngestError) fields.message = error.message.slice(0, 500);
  if (typeof code === 'string') fields.code = code;
  if ((error as { retryable?: unknown }).retryable === true) fields.retryable = true;
  if (error.cause !== undefined && depth < 3) fields.cause = errorFields(error.cause, depth + 1);
  return fields;
}
