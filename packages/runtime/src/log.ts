import { HeraldError } from './errors.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Values a log line may carry. Never row contents, tokens, tickets, presigned URLs or device tokens. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * Structured logger; `child` adds correlation keys (`requestId`, `jobId`, `connectionId`) for
 * one invocation.
 *
 * @example
 * log.child({ requestId }).log('info', 'job claimed', { attempts: 1 });
 */
export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

// Keys whose values are credentials or capabilities (a presigned URL grants access to an object
// until it expires; a ticket or a `Sec-WebSocket-Protocol` header carries a credential). Nothing
// should log them; this is the net under that rule, not the rule itself. `credentialKind`
// (`jwt` or `ticket`) says which kind was offered, not what it was.
const SECRET_KEY =
  /token|ticket|authorization|secret|password|cookie|sec-websocket-protocol|url|signature|credential(?!kind)/i;

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * An error as log fields: name, message, code (SQLSTATE, S3 or Node), `retryable`, and the
 * `cause` chain (three deep). Messages that may quote data are left out:
 * - PostgreSQL data and integrity errors (SQLSTATE classes 22 and 23) quote row values
 *   (`Key (id)=(…) already exists`);
 * - a library error under one of ours (a `cause`) may quote what it refused — a row value, a
 *   JWT claim, a token — so it keeps only its name and code. Our own messages never quote data.
 *
 * @example
 * log.log('error', 'load failed', { error: errorFields(error) });
 */
export function errorFields(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { name: typeof error };
  const code = (error as { code?: unknown }).code;
  const sqlState = (error as { sqlState?: unknown }).sqlState ?? code;
  const quotesData = typeof sqlState === 'string' && /^2[23][0-9A-Z]{3}$/.test(sqlState);
  const ours = error instanceof HeraldError;
  const fields: Record<string, unknown> = { name: error.name };
  if (ours || (depth === 0 && !quotesData)) fields.message = error.message.slice(0, 500);
  if (typeof code === 'string') fields.code = code;
  if ((error as { retryable?: unknown }).retryable === true) fields.retryable = true;
  if (error.cause !== undefined && depth < 3) fields.cause = errorFields(error.cause, depth + 1);
  return fields;
}

/**
 * A tiny JSON-lines logger: one object per line with `level`, `message`, `timestamp`, the base
 * fields and the call's fields. Values under credential-like keys (any `*token*`, `*url*`,
 * `*secret*`, …) are replaced with `[redacted]`; `Error` values become {@link errorFields}.
 *
 * @example
 * const log = createJsonLogger({ service: 'herald-ingest' }, undefined, 'info');
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
      const entry = {
        level,
        message,
        timestamp: new Date().toISOString(),
        ...sanitize(base),
        ...sanitize(fields),
      };
      write(JSON.stringify(entry));
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
