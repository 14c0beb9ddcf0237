import { type ErrorCode, type ErrorDetails, type ErrorEnvelope, errorEnvelope } from '@herald/protocol';

/**
 * What a use case answers: a value, or an error a person can read (never a throw for a refusal).
 *
 * @example
 * const result: Result<JobView> = ok(view);
 */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ErrorEnvelope };

/**
 * A successful {@link Result}.
 *
 * @example
 * return ok({ jobId });
 */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/**
 * A refused {@link Result}; the message defaults to the catalogue's sentence for `code`.
 *
 * @example
 * return refuse('UNKNOWN_DATASET', 'There is no dataset "x"; known: customers, transactions.');
 */
export function refuse<T = never>(code: ErrorCode, message?: string, details?: ErrorDetails): Result<T> {
  return { ok: false, error: errorEnvelope(code, message, details) };
}
