/**
 * Readers for the texts PostgreSQL's COPY FROM reports (PostgreSQL 17/18, messages in English,
 * which is what `lc_messages` is on RDS and in the local stack). They extract line numbers,
 * column names and values and NEVER pass the raw text on: a CONTEXT or DETAIL can echo a
 * whole row (src/backend/commands/copyfromparse.c, copyfrom.c).
 */

/** One `ON_ERROR ignore, LOG_VERBOSITY verbose` skip notice. */
export interface SkippedRow {
  /** As PostgreSQL counts: the LAST physical line of the record, the header being line 1. */
  readonly line: number;
  readonly column: string;
  /** The field as read (PostgreSQL cuts it after 100 bytes and adds "..."); null for an empty field. */
  readonly value: string | null;
}

const SKIPPED_ROW =
  /^skipping row due to data type incompatibility at line (\d+) for column "([^"]+)": (?:"([\s\S]*)"|null input)$/;

/**
 * Reads a skip notice.
 *
 * @example
 * parseSkippedRowNotice('skipping row due to data type incompatibility at line 5 for column "b": "x"');
 * // { line: 5, column: 'b', value: 'x' }
 */
export function parseSkippedRowNotice(message: string): SkippedRow | undefined {
  const m = SKIPPED_ROW.exec(message);
  if (!m) return undefined;
  return { line: Number(m[1]), column: m[2] ?? '', value: m[3] ?? null };
}

/** The closing notice's count ("3 rows were skipped due to data type incompatibility"). */
export function parseSkippedSummary(message: string): number | undefined {
  const m = /^(\d+) rows? (?:was|were) skipped due to data type incompatibility$/.exec(message);
  return m ? Number(m[1]) : undefined;
}

/** Whether an error is COPY giving up because more rows were skipped than REJECT_LIMIT allows. */
export function isRejectLimitError(message: string): boolean {
  return message.startsWith('skipped more than REJECT_LIMIT');
}

export interface CopyContext {
  readonly line?: number;
  readonly column?: string;
  /** Only from the `column x: "value"` form, never from a whole-row echo. */
  readonly value?: string;
}

/**
 * Reads the CONTEXT (`where`) of a COPY error: `COPY t, line 5, column amount: "12,5"`,
 * `COPY t, line 5: "<the whole row>"` (the row is dropped) or `COPY t, line 3`.
 */
export function parseCopyContext(where: string | undefined): CopyContext {
  if (where === undefined) return {};
  // pg joins nested contexts with newlines; COPY's is the last line that starts with "COPY ".
  const copyLine = where
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('COPY '));
  if (copyLine === undefined) return {};
  const m = /^COPY [^,]+, line (\d+)(?:, column ([^:]+): (?:"([\s\S]*)"|null input))?/.exec(copyLine);
  if (!m) return {};
  return {
    line: Number(m[1]),
    ...(m[2] === undefined ? {} : { column: m[2] }),
    ...(m[3] === undefined ? {} : { value: m[3] }),
  };
}

/**
 * Reads a unique violation's DETAIL, `Key (sku)=(A-1) already exists.`, into the key columns
 * and the key's value (the key only: it is what the user wrote in the key columns).
 */
export function parseKeyDetail(detail: string | undefined): { columns: string[]; value: string } | undefined {
  const m = /^Key \(([^)]*)\)=\(([\s\S]*)\) already exists\.$/.exec(detail ?? '');
  if (!m) return undefined;
  return { columns: (m[1] ?? '').split(', '), value: m[2] ?? '' };
}

/** The column a `missing data for column "x"` error names. */
export function parseMissingColumn(message: string): string | undefined {
  return /^missing data for column "([^"]+)"$/.exec(message)?.[1];
}
