import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isRetryablePgError } from '@herald/runtime/pg';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { type CopyErrorFields, copyFailure, loadFailure, scanFailure } from '../core/csv-copy-failure.ts';
import { parseSkippedRowNotice, parseSkippedSummary } from '../core/csv-copy-messages.ts';
import {
  CsvLoadError,
  describeRejectedValue,
  excerptValue,
  failureMessage,
  MAX_ROW_ERRORS,
} from '../core/csv-errors.ts';
import { CsvScanner, type ScanProblem } from '../core/csv-scanner.ts';
import { mapHeader, splitCsvRecord } from '../core/header.ts';
import type { CsvLoadRequest, LoadOutcome, RowErrorDetail } from '../core/load-contract.ts';
import { datasetProblems, JOB_ID_COLUMN, JOB_ID_SETTING } from '../datasets/ddl.ts';
import type { ColumnDefinition, DatasetDefinition } from '../datasets/types.ts';

/**
 * Loads a CSV into its dataset's table with ONE `COPY ... FROM STDIN` in which PostgreSQL
 * parses AND validates every value (docs/adr/002-ingest-load-path.md). Node reads only the
 * header (to build the COPY column list) and scans the bytes for what PostgreSQL cannot do
 * (NUL bytes, trailing blank lines, line bookkeeping); it never parses or re-serialises rows.
 *
 * Validation rules live in the table: domains and typmods make every declared rule a SOFT
 * input error, so `ON_ERROR ignore, LOG_VERBOSITY verbose` skips a bad row and reports its line,
 * column and value as a NOTICE; `REJECT_LIMIT` stops COPY once too many rows were refused.
 * Structural faults (column count, quotes, encoding) abort COPY with a CONTEXT line.
 */

const STAGE_TABLE = 'herald_load_stage';
/** A dry run's copy of the target: same columns, domains, defaults and key, no rows, no lock. */
const DRY_TABLE = 'herald_dry_run';
const SAVEPOINT = 'herald_load';
const UPSERT_SAVEPOINT = 'herald_load_upsert';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Skipped lines remembered to turn staging-table positions back into lines (upsert only). */
const MAX_SKIPPED_TRACKED = 1_000_000;

/**
 * The fields of a `pg` DatabaseError that say what went wrong, as plain strings for the core's
 * mapping; undefined for anything that is not an error PostgreSQL sent (no SQLSTATE).
 */
function pgErrorFields(error: unknown): CopyErrorFields | undefined {
  if (!(error instanceof Error)) return undefined;
  const fields = error as Error &
    Partial<Record<'code' | 'detail' | 'where' | 'column' | 'constraint', unknown>>;
  if (typeof fields.code !== 'string' || !/^[0-9A-Z]{5}$/.test(fields.code)) return undefined;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    code: fields.code,
    message: error.message,
    detail: text(fields.detail),
    where: text(fields.where),
    column: text(fields.column),
    constraint: text(fields.constraint),
  };
}

function ident(name: string): string {
  // Names were checked by datasetProblems (lower-case, non-reserved); quoting is belt and braces.
  return `"${name}"`;
}

/** Thrown inside the COPY body when the scanner refuses the bytes; never leaves this module. */
class ScanFailure extends Error {
  constructor(readonly problem: ScanProblem) {
    super(problem.reason);
  }
}

/** Thrown inside the COPY body when reading the source fails; never leaves this module. */
class SourceFailure extends Error {
  constructor(cause: unknown) {
    super(`reading the CSV source failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
  }
}

/** The part of pg's NoticeMessage we read (pg's type is not exported). */
interface CopyNotice {
  readonly message?: string | undefined;
}

const busyClients = new WeakSet<pg.ClientBase>();

/**
 * Streams `request.source` into the dataset's table inside the caller's open transaction.
 *
 * - Never BEGINs, COMMITs or ROLLBACKs the caller's transaction; it works under a SAVEPOINT
 *   and, when it returns `ok: false`, has rolled back to it: nothing of the load is left and
 *   the transaction is still usable (the worker may still roll it back whole).
 * - Data problems RETURN `{ ok: false, code, message, rowErrors, rowsRejected }`.
 * - Faults THROW a {@link CsvLoadError}; `retryable: true` for a lost connection, a server
 *   shutdown, a serialization failure or deadlock, or a failed read of the source. An abort
 *   through `request.signal` throws the signal's reason.
 * - Sets, for the rest of the caller's transaction, `herald.job_id` (the `_job_id` DEFAULT).
 * - With `dryRun`, validates the whole file exactly as the load would (same outcome, codes,
 *   lines and columns) and leaves nothing: replace and key-less append mode copy into an empty
 *   copy of the table, upsert looks for in-file duplicates instead of writing, append with a key
 *   writes into the table (its key must meet the rows there) and rolls back.
 *
 * @example
 * await client.query('BEGIN');
 * const outcome = await loadCsv(client, { jobId, dataset: TRANSACTIONS, source: body });
 * await client.query(outcome.ok ? 'COMMIT' : 'ROLLBACK');
 */
export async function loadCsv(client: pg.ClientBase, request: CsvLoadRequest): Promise<LoadOutcome> {
  const { dataset, jobId } = request;
  const problems = datasetProblems(dataset);
  if (problems.length > 0) {
    throw new CsvLoadError(`invalid dataset declaration: ${problems.join('; ')}`, {
      retryable: false,
      jobId,
    });
  }
  if (!UUID.test(jobId)) throw new CsvLoadError('jobId must be a UUID', { retryable: false, jobId });
  // pg-copy-streams cannot share a connection between two COPYs; a second call would interleave.
  if (busyClients.has(client)) {
    throw new CsvLoadError('a load is already running on this database client', { retryable: false, jobId });
  }
  busyClients.add(client);
  try {
    return await new Load(client, request).run();
  } finally {
    busyClients.delete(client);
  }
}

class Load {
  private readonly dataset: DatasetDefinition;
  private readonly scanner: CsvScanner;
  private readonly source: AsyncIterator<Uint8Array>;
  private sourceDone = false;
  private columns: readonly ColumnDefinition[] = [];
  private readonly rejects: RowErrorDetail[] = [];
  private rejected = 0;
  private summarized: number | undefined;
  private readonly skippedEndLines: number[] = [];

  constructor(
    private readonly client: pg.ClientBase,
    private readonly request: CsvLoadRequest,
  ) {
    this.dataset = request.dataset;
    this.scanner = new CsvScanner({ maxBytes: request.dataset.maxFileBytes });
    this.source = request.source[Symbol.asyncIterator]();
  }

  async run(): Promise<LoadOutcome> {
    let first: readonly Uint8Array[] = [];
    let ended = false;
    try {
      // 1. The header, before any SQL: a wrong file costs no database work.
      while (this.scanner.header === undefined) {
        const chunk = await this.next();
        ended = chunk === undefined;
        const step = chunk === undefined ? this.scanner.end() : this.scanner.push(chunk);
        if (step.problem) return scanFailure(step.problem);
        first = step.out;
        if (ended) break;
      }
      const fields = splitCsvRecord(this.scanner.header ?? '');
      if (fields === undefined) {
        return scanFailure({
          code: 'UNCLOSED_QUOTE',
          line: 1,
          reason: 'a quoted header field is never closed',
        });
      }
      const mapping = mapHeader(fields, this.dataset);
      if (!mapping.ok) return loadFailure('HEADER_MISMATCH', mapping.message, mapping.errors);
      this.columns = mapping.columns;
      this.progress();
      return await this.load(first, ended);
    } catch (error) {
      if (error instanceof SourceFailure) {
        // A source that classifies its own faults (S3ObjectStore's ObjectStoreError) is trusted;
        // any other read failure of a stream is taken as transient.
        const cause = error.cause;
        if (cause instanceof Error && typeof (cause as { retryable?: unknown }).retryable === 'boolean')
          throw cause;
        throw new CsvLoadError(error.message, { retryable: true, jobId: this.request.jobId, cause });
      }
      throw error;
    } finally {
      await this.closeSource();
    }
  }

  private async next(): Promise<Uint8Array | undefined> {
    this.request.signal?.throwIfAborted();
    let result: IteratorResult<Uint8Array>;
    try {
      result = await this.source.next();
    } catch (error) {
      this.sourceDone = true;
      throw new SourceFailure(error);
    }
    if (result.done) {
      this.sourceDone = true;
      return undefined;
    }
    return result.value;
  }

  private async closeSource(): Promise<void> {
    if (this.sourceDone) return;
    this.sourceDone = true;
    try {
      await this.source.return?.();
    } catch {
      // The source is abandoned either way; its own error is not the load's outcome.
    }
  }

  private progress(): void {
    this.request.onProgress?.({
      bytesRead: this.scanner.bytesRead,
      rowsProcessed: this.scanner.rowsProcessed,
    });
  }

  /**
   * The bytes COPY receives: the scanner's output, chunk by chunk as the source delivers it.
   * (Gathering small chunks into 256 KiB writes was measured: +20 MB peak RSS from the extra
   * copies, no throughput gained.)
   */
  private async *body(first: readonly Uint8Array[], ended: boolean): AsyncGenerator<Uint8Array> {
    yield* first;
    if (ended) return;
    for (;;) {
      const chunk = await this.next();
      const step = chunk === undefined ? this.scanner.end() : this.scanner.push(chunk);
      if (step.problem) throw new ScanFailure(step.problem);
      yield* step.out;
      this.progress();
      if (chunk === undefined) return;
    }
  }

  private async load(first: readonly Uint8Array[], ended: boolean): Promise<LoadOutcome> {
    const { client, dataset } = this;
    const table = ident(dataset.table);
    await this.query(`SAVEPOINT ${SAVEPOINT}`);
    const previous = await this.query(
      "SELECT current_setting('TimeZone') AS tz, current_setting('DateStyle') AS ds",
    );
    // No zone in a timestamp means UTC; numeric dates read year-first only (ISO), so 03/04/2024
    // is refused instead of guessed as March or April.
    await this.query(
      "SELECT set_config($1, $2, true), set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true)",
      [JOB_ID_SETTING, this.request.jobId],
    );
    let target = table;
    const dryRun = this.request.dryRun === true;
    if (dryRun && (dataset.mode === 'replace' || (dataset.mode === 'append' && dataset.key.length === 0))) {
      // A dry run checks the file against an empty copy of the table: the same domains, NOT
      // NULLs and key index, so COPY refuses exactly what it would refuse in the table — after
      // replace's DELETE the table is that empty copy, and an append without a key meets no other
      // row. No lock is taken and no reader's table gets a dead row.
      await this.createTempTable(DRY_TABLE, `LIKE ${table} INCLUDING DEFAULTS INCLUDING INDEXES`);
      target = `pg_temp.${DRY_TABLE}`;
    } else if (dataset.mode === 'replace') {
      // SHARE ROW EXCLUSIVE: readers (ACCESS SHARE) go on seeing the old rows until COMMIT
      // (MVCC), while a second replace of the same table waits instead of interleaving its
      // DELETE with ours and leaving both files' rows. TRUNCATE would block readers.
      await this.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
      await this.query(`DELETE FROM ${table}`);
    } else if (dataset.mode === 'upsert') {
      // Staging keeps the table's domains and defaults (so validation is identical) but no
      // key index: in-file duplicates are found by the INSERT ... ON CONFLICT, below.
      await this.createTempTable(STAGE_TABLE, `LIKE ${table} INCLUDING DEFAULTS`);
      target = `pg_temp.${STAGE_TABLE}`;
    }

    const names = this.columns.map((c) => ident(c.name)).join(', ');
    const limit = dataset.maxRejects > 0 ? dataset.maxRejects : MAX_ROW_ERRORS;
    const copy = client.query(
      copyFrom(
        `COPY ${target} (${names}) FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING 'UTF8', ` +
          `FORCE_NULL (${names}), ON_ERROR ignore, LOG_VERBOSITY verbose, REJECT_LIMIT ${limit})`,
      ),
    );
    // pipeline reports the first error; a late one (the ErrorResponse to our CopyFail) must not
    // become an unhandled 'error' event.
    copy.on('error', () => {});
    const onNotice = (notice: CopyNotice) => this.onNotice(notice);
    client.on('notice', onNotice);
    let copied: number;
    try {
      await pipeline(Readable.from(this.body(first, ended), { objectMode: false }), copy, {
        ...(this.request.signal ? { signal: this.request.signal } : {}),
      });
      copied = copy.rowCount;
    } catch (error) {
      client.removeListener('notice', onNotice);
      return await this.copyFailed(error);
    }
    client.removeListener('notice', onNotice);

    const rejected = Math.max(this.rejected, this.summarized ?? 0);
    const records = this.scanner.dataRecords;
    if (copied + rejected !== records) {
      // Our scanner and PostgreSQL disagree on the number of rows (e.g. skip notices in another
      // language went uncounted). Never guess: fail loudly rather than lose rows silently.
      await this.undo();
      throw new CsvLoadError(
        `row count mismatch: PostgreSQL loaded ${copied} and refused ${rejected} rows, but the file has ${records}`,
        { retryable: false, jobId: this.request.jobId },
      );
    }
    if (rejected > 0 && dataset.maxRejects === 0) {
      await this.undo();
      const first = this.rejects[0];
      return loadFailure(
        first?.code ?? 'INVALID_VALUE',
        failureMessage(this.rejects, rejected),
        this.rejects,
        rejected,
      );
    }

    let rowsLoaded = copied;
    if (dataset.mode === 'upsert' && dryRun) {
      // What the upsert's INSERT … ON CONFLICT would refuse (a key twice in the file, 21000), found
      // without writing a row or locking one: the same duplicate report.
      const repeated = await this.query(
        `SELECT 1 FROM pg_temp.${STAGE_TABLE} GROUP BY ${dataset.key.map(ident).join(', ')} HAVING count(*) > 1 LIMIT 1`,
      );
      if ((repeated.rowCount ?? 0) > 0) {
        const outcome = await this.duplicates(dataset.key.map(ident));
        await this.undo();
        return outcome;
      }
    } else if (dataset.mode === 'upsert') {
      const upserted = await this.upsert(table);
      if (typeof upserted !== 'number') return upserted;
      rowsLoaded = upserted;
    }
    if (dryRun) {
      // Everything the dry run wrote (staged or appended rows, settings) goes with the savepoint.
      await this.undo();
      return { ok: true, rowsLoaded, rowsRejected: rejected, rejects: this.rejects };
    }
    const settings = previous.rows[0] as { tz: string; ds: string } | undefined;
    if (settings) {
      await this.query("SELECT set_config('TimeZone', $1, true), set_config('DateStyle', $2, true)", [
        settings.tz,
        settings.ds,
      ]);
    }
    await this.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
    return { ok: true, rowsLoaded, rowsRejected: rejected, rejects: this.rejects };
  }

  private onNotice(notice: CopyNotice): void {
    const message = notice.message ?? '';
    const summary = parseSkippedSummary(message);
    if (summary !== undefined) {
      this.summarized = summary;
      return;
    }
    const skipped = parseSkippedRowNotice(message);
    if (skipped === undefined) return;
    this.rejected++;
    if (this.skippedEndLines.length < MAX_SKIPPED_TRACKED) this.skippedEndLines.push(skipped.line);
    if (this.rejects.length < MAX_ROW_ERRORS) {
      const column = this.dataset.columns.find((c) => c.name === skipped.column);
      const line = this.scanner.lineMap.startLineOf(skipped.line);
      this.rejects.push(describeRejectedValue(column, skipped.column, skipped.value, line));
    }
  }

  /**
   * A temp table for this load (dropped at COMMIT) whose `_job_id` default is the job id itself.
   * The dataset table's default reads `herald.job_id` and casts it for every row, about a fifth
   * of a plain table's COPY time (`pnpm bench table-rules`); a constant costs nothing per row.
   * Only a temp table may take it: it is this session's alone, so the ALTER's ACCESS EXCLUSIVE
   * lock blocks nobody, whereas on the dataset table it would block every reader until COMMIT.
   */
  private async createTempTable(name: string, like: string): Promise<void> {
    await this.query(`CREATE TEMP TABLE ${name} (${like}) ON COMMIT DROP`);
    const jobId = this.client.escapeLiteral(this.request.jobId);
    await this.query(
      `ALTER TABLE pg_temp.${name} ALTER COLUMN ${ident(JOB_ID_COLUMN)} SET DEFAULT ${jobId}::uuid`,
    );
  }

  /** Runs a statement; a lost connection or similar becomes a retryable {@link CsvLoadError}. */
  private async query(text: string, values?: unknown[]): Promise<pg.QueryResult> {
    try {
      return await this.client.query(text, values);
    } catch (error) {
      throw this.fault(error);
    }
  }

  private fault(error: unknown): unknown {
    if (error instanceof CsvLoadError) return error;
    // The system's one rule for what a retry may cure (connection, shutdown, timeout,
    // serialization failure, deadlock, lock timeout): `isRetryablePgError` of @herald/runtime/pg.
    const retryable = isRetryablePgError(error);
    // PostgreSQL's own message may quote row values: it stays in `cause`, out of the message.
    const sqlState = pgErrorFields(error)?.code;
    const message = sqlState
      ? `SQLSTATE ${sqlState}`
      : error instanceof Error
        ? error.message
        : String(error);
    return new CsvLoadError(`loading dataset ${this.dataset.name} failed: ${message}`, {
      retryable,
      jobId: this.request.jobId,
      cause: error,
    });
  }

  /** Back to the state before the load; the caller's transaction stays usable. */
  private async undo(): Promise<void> {
    await this.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
    await this.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
  }

  private async copyFailed(error: unknown): Promise<LoadOutcome> {
    if (error instanceof ScanFailure) {
      await this.undo();
      return scanFailure(error.problem);
    }
    if (error instanceof SourceFailure) {
      await this.undo();
      throw error;
    }
    const signal = this.request.signal;
    if (signal?.aborted) {
      await this.undo();
      throw signal.reason;
    }
    const fields = pgErrorFields(error);
    const outcome = fields
      ? copyFailure(fields, {
          dataset: this.dataset,
          headerFields: this.columns.length,
          rejects: this.rejects,
          rejected: this.rejected,
          openQuoteLine: this.scanner.openQuoteLine,
          startLineOf: (line) => this.scanner.lineMap.startLineOf(line),
        })
      : undefined;
    if (outcome === undefined) throw this.fault(error);
    await this.undo();
    return outcome;
  }

  /**
   * Moves the staged rows into the table: insert new keys, update existing ones (only the
   * columns the file has, and `_job_id`). A key twice in the file makes ON CONFLICT DO UPDATE
   * fail (21000, "cannot affect row a second time"); only then do we look for the duplicates,
   * so the common case pays nothing for the check.
   */
  private async upsert(table: string): Promise<number | LoadOutcome> {
    const key = this.dataset.key.map(ident);
    const fileColumns = this.columns.map((c) => ident(c.name));
    const all = [...fileColumns, ident(JOB_ID_COLUMN)];
    const updates = [
      ...this.columns.filter((c) => !this.dataset.key.includes(c.name)).map((c) => ident(c.name)),
      ident(JOB_ID_COLUMN),
    ]
      .map((c) => `${c} = EXCLUDED.${c}`)
      .join(', ');
    await this.query(`SAVEPOINT ${UPSERT_SAVEPOINT}`);
    try {
      const result = await this.client.query(
        `INSERT INTO ${table} (${all.join(', ')}) SELECT ${all.join(', ')} FROM pg_temp.${STAGE_TABLE} ` +
          `ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${updates}`,
      );
      await this.query(`RELEASE SAVEPOINT ${UPSERT_SAVEPOINT}`);
      await this.query(`DROP TABLE pg_temp.${STAGE_TABLE}`);
      return result.rowCount ?? 0;
    } catch (error) {
      if (pgErrorFields(error)?.code !== '21000') throw this.fault(error);
    }
    await this.query(`ROLLBACK TO SAVEPOINT ${UPSERT_SAVEPOINT}`);
    const outcome = await this.duplicates(key);
    await this.undo();
    return outcome;
  }

  /** Lists keys that occur more than once in the staged file, with their lines. */
  private async duplicates(key: readonly string[]): Promise<LoadOutcome> {
    const keyText = key.map((k) => `${k}::text`).join(` || ', ' || `);
    const counted = await this.query(
      `SELECT coalesce(sum(n - 1), 0)::bigint AS extra FROM (SELECT count(*) AS n FROM pg_temp.${STAGE_TABLE} GROUP BY ${key.join(', ')} HAVING count(*) > 1) d`,
    );
    // ctid order is file order: COPY fills a fresh temp table front to back.
    const found = await this.query(
      `WITH numbered AS (
         SELECT ${key.join(', ')}, ${keyText} AS k, row_number() OVER (ORDER BY ctid) AS ord
         FROM pg_temp.${STAGE_TABLE}
       ), dup AS (
         -- Partition by the key itself, not its text: equality is the type's (as ON CONFLICT's).
         SELECT k, ord, min(ord) OVER (PARTITION BY ${key.join(', ')}) AS first_ord,
                count(*) OVER (PARTITION BY ${key.join(', ')}) AS n
         FROM numbered
       )
       SELECT k, ord::bigint AS ord, first_ord::bigint AS first_ord FROM dup WHERE n > 1 AND ord > first_ord
       ORDER BY ord LIMIT ${MAX_ROW_ERRORS}`,
    );
    const column = this.dataset.key.join(', ');
    const errors: RowErrorDetail[] = found.rows.map((row: { k: string; ord: string; first_ord: string }) => {
      const line = this.lineOfStagedRow(Number(row.ord));
      const firstLine = this.lineOfStagedRow(Number(row.first_ord));
      return {
        line,
        column,
        value: excerptValue(row.k),
        code: 'DUPLICATE_KEY',
        reason: `'${excerptValue(row.k)}' already appears on line ${firstLine}; a key may appear only once per file`,
      };
    });
    const extra = Number((counted.rows[0] as { extra: string } | undefined)?.extra ?? errors.length);
    return loadFailure('DUPLICATE_KEY', failureMessage(errors, extra), errors, extra);
  }

  /** The first line of the n-th staged row (1-based), skipping rows COPY refused. */
  private lineOfStagedRow(ordinal: number): number {
    let record = ordinal + 1; // + the header record
    for (const endLine of this.skippedEndLines) {
      if (this.scanner.lineMap.recordOfEndLine(endLine) <= record) record++;
      else break;
    }
    return this.scanner.lineMap.startLineOfRecord(record);
  }
}
