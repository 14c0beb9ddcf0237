import * as z from 'zod';

/** One entry of the error catalogue: the HTTP status a REST response uses, and a default sentence. */
export interface ErrorCodeInfo {
  readonly status: number;
  readonly message: string;
}

/**
 * Stable machine codes every user-visible error carries, with the HTTP status and a default
 * sentence a person understands. Codes are part of the wire contract: clients branch on them,
 * so they are never renamed; messages may be reworded or overridden per error.
 *
 * WebSocket frame codes (`MALFORMED_FRAME`, `UNKNOWN_ACTION`, `MESSAGE_TOO_LARGE`) travel in an
 * `error` frame rather than an HTTP response; their status says which HTTP class they belong to.
 */
export const ERROR_CODES = {
  UNAUTHENTICATED: { status: 401, message: 'You need to sign in first.' },
  FORBIDDEN: { status: 403, message: 'You do not have permission to do this.' },
  NOT_FOUND: { status: 404, message: 'The requested item does not exist.' },
  ROUTE_NOT_FOUND: { status: 404, message: 'There is no such API route.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'This API route does not accept that HTTP method.' },
  BAD_REQUEST: { status: 400, message: 'The request could not be understood.' },
  VALIDATION_FAILED: { status: 400, message: 'The request contains invalid values.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body has an unsupported content type.' },
  CONFLICT: { status: 409, message: 'The request conflicts with the current state of the item.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests; please wait a moment and try again.' },
  INTERNAL: { status: 500, message: 'Something went wrong on our side.' },
  UPSTREAM_UNAVAILABLE: {
    status: 503,
    message: 'A service we depend on is unavailable; please try again later.',
  },
  UPSTREAM_TIMEOUT: { status: 504, message: 'A service we depend on took too long to answer.' },
  MALFORMED_FRAME: { status: 400, message: 'The WebSocket message is not a valid Herald message.' },
  UNKNOWN_ACTION: { status: 400, message: 'The WebSocket message names an unknown action.' },
  MESSAGE_TOO_LARGE: { status: 413, message: 'The WebSocket message is too large.' },
  // Workflow 1: uploads and CSV ingest. Job failures travel in `job.failed` and GET /jobs/{id}.
  UNKNOWN_DATASET: { status: 400, message: 'There is no dataset with that name.' },
  DATASET_NOT_ALLOWED: { status: 403, message: 'You may not upload to this dataset.' },
  FILE_TOO_LARGE: { status: 413, message: 'The file is larger than this dataset allows.' },
  INVALID_FILE_NAME: { status: 400, message: 'The file name is not acceptable.' },
  OBJECT_LARGER_THAN_DECLARED: {
    status: 400,
    message: 'The uploaded file is larger than the size declared for it.',
  },
  OBJECT_SMALLER_THAN_DECLARED: {
    status: 400,
    message: 'The uploaded file is smaller than the size declared for it.',
  },
  EMPTY_FILE: { status: 400, message: 'The file is empty.' },
  // Multipart uploads (POST /uploads above the multipart threshold).
  UPLOAD_ABORTED: { status: 409, message: 'The upload was aborted by its owner.' },
  UPLOAD_EXPIRED: {
    status: 410,
    message: 'The multipart upload no longer exists (aborted, completed or expired after a day).',
  },
  INVALID_PART: {
    status: 400,
    message: 'A listed part was not uploaded, or its ETag does not match the uploaded part.',
  },
  PART_TOO_SMALL: { status: 400, message: 'A part other than the last is smaller than 5 MiB.' },
  NOT_UTF8: { status: 400, message: 'The file is not UTF-8 text.' },
  HEADER_MISMATCH: { status: 400, message: 'The header row does not match the dataset’s columns.' },
  UNCLOSED_QUOTE: { status: 400, message: 'A quoted field is never closed.' },
  WRONG_COLUMN_COUNT: { status: 400, message: 'A row has a different number of fields than the header.' },
  INVALID_VALUE: { status: 400, message: 'A value does not fit its column’s type.' },
  VALUE_TOO_LONG: { status: 400, message: 'A value is longer than its column allows.' },
  REQUIRED_VALUE_MISSING: { status: 400, message: 'A required value is empty.' },
  DUPLICATE_KEY: { status: 400, message: 'The same key appears more than once in the file.' },
  TOO_MANY_REJECTED_ROWS: { status: 400, message: 'More rows were refused than this dataset allows.' },
  JOB_ALREADY_FINISHED: { status: 409, message: 'The job has finished; there is nothing to cancel.' },
  JOB_CANCELLED: { status: 409, message: 'The job was cancelled by its owner; nothing was loaded.' },
  // Workflow 2: file delivery. FILE_TOO_LARGE above is reused (with a message naming the limit).
  INVALID_PATH: { status: 400, message: 'The file path is not acceptable.' },
  PATH_NOT_ALLOWED: { status: 403, message: 'You do not have access to this file.' },
  FILE_NOT_FOUND: { status: 404, message: 'The file does not exist on the file server.' },
  UNSUPPORTED_CONTENT_TYPE: { status: 415, message: 'This type of file cannot be delivered.' },
  // Realtime: tickets and devices.
  DEVICE_LIMIT_REACHED: {
    status: 409,
    message: 'This account has registered the maximum number of devices.',
  },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A stable machine error code, e.g. `'VALIDATION_FAILED'`. */
export type ErrorCode = keyof typeof ERROR_CODES;

// Object.keys loses the key type; the catalogue is a literal, so the cast is exact.
const codes = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

/** Optional structured context for an error: a record (e.g. `{ issues }`) or a list. */
export const ErrorDetailsSchema = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]);

/** Structured error context; see {@link ErrorDetailsSchema}. */
export type ErrorDetails = z.infer<typeof ErrorDetailsSchema>;

/** The error body of every REST error response and of every WebSocket `error` frame. */
export const ErrorEnvelopeSchema = z
  .strictObject({
    code: z.enum(codes),
    message: z.string().min(1),
    details: ErrorDetailsSchema.optional(),
  })
  .meta({ description: 'Every error: a stable machine `code`, a sentence for people, optional `details`.' });

/** An error as it travels on the wire; see {@link ErrorEnvelopeSchema}. */
export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;

/**
 * Builds an error envelope; the message defaults to the catalogue's sentence for `code`.
 *
 * @example
 * errorEnvelope('NOT_FOUND'); // { code: 'NOT_FOUND', message: 'The requested item does not exist.' }
 * errorEnvelope('VALIDATION_FAILED', 'line 3, column `amount`: `12,5` is not a number');
 */
export function errorEnvelope(code: ErrorCode, message?: string, details?: ErrorDetails): ErrorEnvelope {
  // An empty override would fail the schema and tell the user nothing, so it falls back too.
  const envelope: ErrorEnvelope = { code, message: message || ERROR_CODES[code].message };
  if (details !== undefined) envelope.details = details;
  return envelope;
}

/**
 * The HTTP status for an error code.
 *
 * @example
 * httpStatusFor('RATE_LIMITED'); // 429
 */
export function httpStatusFor(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}

/**
 * Whether a value is a well-formed error envelope (e.g. a parsed REST error body).
 *
 * @example
 * if (isErrorEnvelope(body)) console.warn(body.code);
 */
export function isErrorEnvelope(value: unknown): value is ErrorEnvelope {
  return ErrorEnvelopeSchema.safeParse(value).success;
}
