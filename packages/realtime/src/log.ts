import type { LogFields, Logger, LogLevel } from './ports.ts';

// Keys whose values are credentials or capabilities. Nothing should log them; this is the net
// under that rule, not the rule itself.
const SECRET_KEY = /token|ticket|authorization|secret|password|sec-websocket-protocol|cookie/i;

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * A tiny JSON-lines logger (Powertools is not a dependency): one object per line with `level`,
 * `message`, `timestamp`, the base fields and the call's fields. Values under credential-like
 * keys are replaced with `[redacted]`; errors become `{name, message}` (never their `cause`).
 *
 * @example
 * const log = createJsonLogger({ service: 'realtime' });
 * log.child({ requestId }).log('info', 'connection stored', { connectionId });
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
    else if (value instanceof Error) out[key] = { name: value.name, message: value.message };
    else out[key] = value;
  }
  return out;
}
