import { describePgError } from '@herald/runtime/pg';
import type pg from 'pg';
import { DatabaseError } from '../errors.ts';

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
  const { message, ...fields } = describePgError(error, what);
  return new DatabaseError(message, { cause: error, ...fields });
}

/**
 * One statement on a pooled connection, its failure translated by {@link toDatabaseError}.
 *
 * @example
 * const { rows } = await queryTranslated(pool, 'reading a job', 'SELECT 1 FROM ingest_jobs WHERE job_id = $1', [id]);
 */
export async function queryTranslated<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  what: string,
  text: string,
  values: unknown[],
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(text, values);
  } catch (error) {
    throw toDatabaseError(error, what);
  }
}
