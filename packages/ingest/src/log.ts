import { createJsonLogger as createSharedJsonLogger } from '@herald/realtime';
import { errorFields } from './error-fields.ts';
import type { LogFields, Logger, LogLevel } from './ports.ts';

export { errorFields };

// Keys whose values are credentials or capabilities (a presigned URL grants access to an object
// until it expires). Nothing should log them; this is the net under that rule, not the rule.
const SECRET_KEY = /token|ticket|authorization|secret|password|cookie|url|signature|credential/i;

/**
 * A tiny JSON-lines logger (`@herald/realtime`'s, with ingest's rules): one object per line with
 * `level`, `message`, `timestamp`, the base fields and the call's fields. Values under
 * credential-like keys (including any `*url*`) are replaced with `[redacted]`; errors become
 * {@link errorFields} (never a stack).
 *
 * @example
 * const log = createJsonLogger({ service: 'herald-ingest' });
 * log.child({ requestId, jobId }).log('info', 'job claimed', { attempts: 1 });
 */
export function createJsonLogger(
  base: LogFields = {},
  write?: (line: string) => void,
  minLevel?: LogLevel,
): Logger {
  return createSharedJsonLogger(base, write, minLevel, {
    secretKey: SECRET_KEY,
    errorFields: (error) => errorFields(error),
  });
}
