import type { LogFields, Logger, LogLevel } from './ports.ts';

// Keys whose values are credentials or capabilities. Nothing should log them; this is the net
// under that rule, not the rule itself.
const SECRET_KEY = /token|ticket|authorization|secret|password|sec-websocket-protocol|cookie/i;

/** How {@link createJsonLogger} treats keys and errors; each package keeps its own rules. */
export interface JsonLoggerOptions {
  /** Keys whose values are replaced with `[redacted]`. */
  readonly secretKey?: RegExp;
  /** An `Error` value as log fields. */
  readonly errorFields?: (error: Error) => Record<string, unknown>;
}

const DEFAULT_OPTIONS: Required<JsonLoggerOptions> = {
  secretKey: SECRET_KEY,
  errorFields: (error) => ({ name: error.name, message: error.message }),
};

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * A tiny JSON-lines logger (Powertools is not a dependency): one object per line with `level`,
 * `message`, `timestamp`, the base fields and the call's fields. Values under credential-like
 * keys are replaced with `[redacted]`; errors become `{name, message}` (never their `cause`).
 * `options` replaces the redacted keys and the error fields (the ingest package widens both).
 *
 * @example
 * const log = createJsonLogger({ service: 'realtime' });
 * log.child({ requestId }).log('info', 'connection stored', { connectionId });
 */
export function createJsonLogger(
  base: LogFields = {},
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  minLevel: LogLevel = 'debug',
  options: JsonLoggerOptions = {},
): Logger {
  const rules: Required<JsonLoggerOptions> = { ...DEFAULT_OPTIONS, ...options };
  return {
    log(level: LogLevel, message: string, fields: LogFields = {}): void {
      if (RANK[level] < RANK[minLevel]) return;
      const entry = {
        level,
        message,
        timestamp: new Date().toISOString(),
        ...sanitize(base, rules),
        ...sanitize(fields, rules),
      };
      write(JSON.stringify(entry));
    },
    child(fields: LogFields): Logger {
      return createJsonLogger({ ...base, ...fields }, write, minLevel, rules);
    },
  };
}

function sanitize(fields: LogFields, rules: Required<JsonLoggerOptions>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (rules.secretKey.test(key)) out[key] = '[redacted]';
    else if (value instanceof Error) out[key] = rules.errorFields(value);
    else out[key] = value;
  }
  return out;
}
