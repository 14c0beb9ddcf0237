import type { ErrorCode, ErrorEnvelope, RowError } from '@herald/protocol/wire';

/**
 * Codes the SDK itself assigns when no server envelope exists: the request never got an answer,
 * the answer was not what the contract says, or the caller asked for something impossible.
 *
 * @example
 * if (err instanceof HeraldClientError && err.code === 'NETWORK_ERROR') retryLater();
 */
export type ClientErrorCode =
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  | 'INVALID_RESPONSE'
  | 'UPLOAD_FAILED'
  | 'ABORTED'
  | 'CONNECTION_LOST'
  | 'HEARTBEAT_TIMEOUT'
  | 'TOKEN_UNAVAILABLE'
  | 'CLIENT_CLOSED'
  | 'INVALID_ARGUMENT';

/**
 * Every code a {@link HeraldClientError} can carry: a server code from `@herald/protocol`, a
 * {@link ClientErrorCode}, or (for forward compatibility) a code a newer server introduced.
 *
 * @example
 * const code: HeraldErrorCode = 'VALIDATION_FAILED';
 */
// `string & {}` keeps editor completion for the known codes while accepting new ones.
export type HeraldErrorCode = ErrorCode | ClientErrorCode | (string & {});

/**
 * Options of {@link HeraldClientError}.
 *
 * @example
 * new HeraldClientError('NOT_FOUND', 'No such job.', { status: 404 });
 */
export interface HeraldClientErrorOptions {
  /** HTTP status of the REST response or WebSocket handshake, when there was one. */
  readonly status?: number;
  /** The envelope's structured `details`, untouched. */
  readonly details?: unknown;
  /** Whether trying again later may succeed; defaults by code (network, 429 and 5xx codes are). */
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

const RETRYABLE = new Set<string>([
  'NETWORK_ERROR',
  'TIMEOUT',
  'CONNECTION_LOST',
  'HEARTBEAT_TIMEOUT',
  'TOKEN_UNAVAILABLE',
  'RATE_LIMITED',
  'INTERNAL',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
]);

/**
 * The one error class of the SDK. `code` is the server's stable machine code when the server
 * answered with an error envelope, else a {@link ClientErrorCode}; `message` is a sentence a
 * person understands. Thrown only for caller mistakes (`INVALID_ARGUMENT`) and from awaited
 * calls; connection problems arrive as `error` events instead.
 *
 * @example
 * try {
 *   await client.job(jobId);
 * } catch (err) {
 *   if (err instanceof HeraldClientError && err.code === 'NOT_FOUND') showMissing();
 *   else throw err;
 * }
 */
export class HeraldClientError extends Error {
  override readonly name: string = 'HeraldClientError';
  // `declare`: set by the constructor, so no class-field initialisers are emitted for them.
  declare readonly code: HeraldErrorCode;
  declare readonly status: number | undefined;
  declare readonly details: unknown;
  declare readonly retryable: boolean;

  constructor(code: HeraldErrorCode, message: string, options: HeraldClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.details = options.details;
    this.retryable = options.retryable ?? RETRYABLE.has(code);
  }

  /**
   * The error a server envelope describes.
   *
   * @example
   * HeraldClientError.fromEnvelope({ code: 'NOT_FOUND', message: 'No such job.' }, 404);
   */
  static fromEnvelope(envelope: ErrorEnvelope, status?: number): HeraldClientError {
    return new HeraldClientError(envelope.code, envelope.message, { status, details: envelope.details });
  }
}

/**
 * An ingest job failed and loaded nothing. `code` is the job's error code (e.g.
 * `INVALID_VALUE`); `rowErrors` says which lines and columns were refused and why.
 *
 * @example
 * try {
 *   await client.upload(file, { dataset: 'transactions' }).done;
 * } catch (err) {
 *   if (err instanceof JobFailedError) {
 *     for (const row of err.rowErrors) console.log(`line ${row.line}, ${row.column}: ${row.reason}`);
 *   }
 * }
 */
export class JobFailedError extends HeraldClientError {
  override readonly name: string = 'JobFailedError';
  declare readonly jobId: string;
  declare readonly rowErrors: readonly RowError[];

  constructor(jobId: string, error: ErrorEnvelope, rowErrors: readonly RowError[] = []) {
    const first = rowErrors[0];
    const where = first ? ` (${describeRowError(first)})` : '';
    super(error.code, `${error.message}${where}`, { details: error.details, retryable: false });
    this.jobId = jobId;
    this.rowErrors = rowErrors;
  }
}

/**
 * One row error as a sentence: ``line 3, column `amount`: not a number``.
 *
 * @example
 * describeRowError({ line: 3, column: 'amount', reason: '`12,5` is not a number' });
 * // 'line 3, column `amount`: `12,5` is not a number'
 */
export function describeRowError(row: RowError): string {
  const column = row.column === undefined ? '' : `, column \`${row.column}\``;
  return `line ${row.line}${column}: ${row.reason}`;
}

/** Whether the server refused the caller (`UNAUTHENTICATED` / `FORBIDDEN`): retrying will not help. */
export function isAuthRefusal(error: unknown): boolean {
  return (
    error instanceof HeraldClientError && (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN')
  );
}

/** Wraps anything thrown into a HeraldClientError, keeping one that already is. */
export function toClientError(err: unknown, code: HeraldErrorCode, message: string): HeraldClientError {
  if (err instanceof HeraldClientError) return err;
  return new HeraldClientError(code, message, { cause: err });
}

/**
 * The error for a caller mistake: thrown at once, never retryable.
 *
 * @example
 * if (!jobId) throw invalidArgument('A job id must be a non-empty string.');
 */
export function invalidArgument(message: string): HeraldClientError {
  return new HeraldClientError('INVALID_ARGUMENT', message, { retryable: false });
}
