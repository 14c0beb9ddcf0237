import { IngestError } from './errors.ts';
import type { LogFields, Logger, LogLevel } from './ports.ts';

// Keys whose values are credentials or capabilities (a presigned URL grants access to an object
// until it expires). Nothing should log them; this is the net under that rule, not the rule.
const SECRET_KEY = /token|ticket|authorization|secret|password|cookie|url|signature|credential/i;

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * A tiny JSON-lines logger: one object per line with `level`, `message`, `timestamp`, the base
 * fields and the call's fields. Values under credential-like keys (including any `*url*`) are
 * replaced with `[redacted]`; errors become {@link errorFields} (never a stack).
 *
 * @example
 * const log = createJsonLogger({ service: 'herald-ingest' });
 * log.child({ requestId, jobId }).log('info', 'job claimed', { attempts: 1 });
 */
export function createJsonLogger(
  base: LogFields = {},
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  minLevel: LogLevel = 'debug',
): Logger {
  return {
    log(level: LogLevel, message: string, fields: LogFields = {}): void {
      if (RANK[level] < RANK[minLevel]) return;
      write(
        JSON.stringify({
          level,
          message,
          timestamp: new Date().toISOString(),
          ...sanitize(base),
          ...sanitize(fields),
        }),
      );
    },
    child(fields: LogFields): Logger {
      return createJsonLogger({ ...base, ...fields }, write, minLevel);
    },
  };
}

function sanitize(fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SECRET_KEY.test(key)) out[key] = '[redacted]';
    else if (value instanceof Error) out[key] = errorFields(value);
    else out[key] = value;
  }
  return out;
}

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
