import { Buffer } from 'node:buffer';
import { decodeHeader } from './header.ts';

/**
 * A single pass over the raw CSV bytes on their way to PostgreSQL. PostgreSQL parses and
 * validates the rows (docs/adr/002-ingest-load-path.md); this scanner does only what it cannot,
 * at memchr speed (`Buffer.indexOf`), without copying or decoding the body:
 *
 * - separates the header record (BOM stripped) so it can be mapped before COPY starts;
 * - refuses NUL bytes (binary files; PostgreSQL would refuse them too, as an encoding error, but
 *   only once COPY reaches them and in less helpful words) and UTF-16 files;
 * - holds back trailing line breaks and drops them at the end (COPY would read a blank line as a
 *   row of missing values);
 * - counts physical lines and tracks quotes exactly like PostgreSQL's CSV line reader (a `"`
 *   toggles quoting anywhere), so it knows where an unclosed quote opened and which records
 *   span several lines ({@link LineMap});
 * - counts bytes and records for progress, and enforces the dataset's size limit.
 */

export type ScanProblemCode =
  | 'NOT_UTF8'
  | 'EMPTY_FILE'
  | 'UNCLOSED_QUOTE'
  | 'FILE_TOO_LARGE'
  | 'HEADER_MISMATCH';

export interface ScanProblem {
  readonly code: ScanProblemCode;
  /** 1-based physical line, when the problem has one. */
  readonly line?: number;
  readonly reason: string;
}

export interface ScanStep {
  /** Bytes to forward to COPY, in order (views into the input; never copied except the header). */
  readonly out: readonly Uint8Array[];
  readonly problem?: ScanProblem;
}

export interface CsvScannerOptions {
  /** Refuse the input once it grows past this many bytes. */
  readonly maxBytes: number;
  /** The header record must end within this many bytes. Default 64 KiB. */
  readonly maxHeaderBytes?: number;
  /** Multi-line records remembered for exact line numbers. Default 200,000. */
  readonly maxLineMapEntries?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const NUL = 0x00;
const BOM = [0xef, 0xbb, 0xbf] as const;

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function isUtf16Bom(b: Buffer): boolean {
  return b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff));
}

function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} bytes`;
}

function isBlank(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === LF || b === CR || b === 0x20 || b === 0x09);
}

function startsWithBom(b: Buffer): boolean {
  return b.length >= 3 && b[0] === BOM[0] && b[1] === BOM[1] && b[2] === BOM[2];
}

/**
 * Physical line numbers of records that span several lines (quoted line breaks). PostgreSQL
 * reports a record by its LAST physical line; people look for where it starts. Records are
 * numbered from 1 (the header). Bounded: past `maxEntries` multi-line records it stops
 * remembering and `exact` turns false (line numbers after that point may then be off).
 */
export class LineMap {
  private readonly records: number[] = [];
  private readonly endLines: number[] = [];
  private readonly extras: number[] = [];
  /** Extra lines of all remembered records up to and including index i. */
  private readonly cumulative: number[] = [];
  private exactSoFar = true;

  constructor(private readonly maxEntries = 200_000) {}

  get exact(): boolean {
    return this.exactSoFar;
  }

  /** Record `record` contains `extra` quoted line breaks. Records arrive in increasing order. */
  add(record: number, extra: number): void {
    if (this.records.length >= this.maxEntries) {
      this.exactSoFar = false;
      return;
    }
    const before = this.cumulative[this.cumulative.length - 1] ?? 0;
    this.records.push(record);
    this.extras.push(extra);
    this.cumulative.push(before + extra);
    this.endLines.push(record + before + extra);
  }

  /** The first line of the record whose last line is `endLine` (as PostgreSQL reports it). */
  startLineOf(endLine: number): number {
    const i = lastAtMost(this.endLines, endLine);
    return i >= 0 && this.endLines[i] === endLine ? endLine - (this.extras[i] ?? 0) : endLine;
  }

  /** The record number of the record whose last line is `endLine`. */
  recordOfEndLine(endLine: number): number {
    const i = lastAtMost(this.endLines, endLine);
    return endLine - (i >= 0 ? (this.cumulative[i] ?? 0) : 0);
  }

  /** The first physical line of record number `record`. */
  startLineOfRecord(record: number): number {
    const i = lastAtMost(this.records, record - 1);
    return record + (i >= 0 ? (this.cumulative[i] ?? 0) : 0);
  }
}

/** Index of the last element ≤ value in an ascending array, or -1. */
function lastAtMost(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? Number.POSITIVE_INFINITY) <= value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Streaming scanner; feed it every chunk with {@link push}, then call {@link end} once.
 *
 * @example
 * const scanner = new CsvScanner({ maxBytes: 2 ** 31 });
 * for await (const chunk of source) {
 *   const step = scanner.push(chunk);
 *   if (step.problem) throw …;
 *   for (const bytes of step.out) copy.write(bytes);
 * }
 */
export class CsvScanner {
  readonly lineMap: LineMap;
  private readonly maxBytes: number;
  private readonly maxHeaderBytes: number;
  private bytes = 0;
  /** Line feeds seen (physical lines completed). */
  private lines = 0;
  /** Records completed (line feeds outside quotes). */
  private records = 0;
  private inQuote = false;
  private quoteOpenLine = 0;
  private recordExtra = 0;
  /** Global offset just past the last line feed. */
  private lastLineEnd = 0;
  /** Records COPY receives (header included); set by {@link end}. */
  private forwardedRecords: number | undefined;
  /** Until the header record is complete: every byte so far. Afterwards undefined. */
  private head: Buffer[] | undefined = [];
  private headBytes = 0;
  /** Global offset of the line feed that ends the header record, once seen. */
  private headerEnd = -1;
  private headerText: string | undefined;
  /** Trailing line breaks of the last chunk, forwarded only if more data follows. */
  private held: Buffer | undefined;
  private failed = false;

  constructor(options: CsvScannerOptions) {
    this.maxBytes = options.maxBytes;
    this.maxHeaderBytes = options.maxHeaderBytes ?? 64 * 1024;
    this.lineMap = new LineMap(options.maxLineMapEntries);
  }

  /** Bytes received so far (BOM and header included). */
  get bytesRead(): number {
    return this.bytes;
  }

  /** Data records seen so far (header excluded; a record counts once its line break arrives). */
  get rowsProcessed(): number {
    return this.forwardedRecords === undefined ? Math.max(0, this.records - 1) : this.dataRecords;
  }

  /**
   * Data records forwarded to COPY (header and dropped trailing blank lines excluded), once
   * {@link end} has returned: each becomes a row or a refused row, so the loader can check that
   * PostgreSQL accounted for every one.
   */
  get dataRecords(): number {
    return Math.max(0, (this.forwardedRecords ?? this.records) - 1);
  }

  /** The decoded header record (BOM and line break removed), once complete. */
  get header(): string | undefined {
    return this.headerText;
  }

  /** Where the quoted field that is open now started (1-based line). */
  get openQuoteLine(): number {
    return this.quoteOpenLine;
  }

  push(input: Uint8Array): ScanStep {
    if (this.failed) throw new Error('CsvScanner: push after a problem');
    const chunk = asBuffer(input);
    const offset = this.bytes;
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      return this.fail({
        code: 'FILE_TOO_LARGE',
        reason: `the file is larger than this dataset allows (${formatBytes(this.maxBytes)})`,
      });
    }
    if (this.head !== undefined) return this.pushHeader(chunk, offset);
    return this.pushBody(chunk, offset);
  }

  end(): ScanStep {
    if (this.failed) throw new Error('CsvScanner: end after a problem');
    if (this.head !== undefined) return this.endHeader();
    if (this.inQuote) return this.unclosedQuote();
    this.finishAtEnd();
    return { out: [] };
  }

  private fail(problem: ScanProblem): ScanStep {
    this.failed = true;
    return { out: [], problem };
  }

  private unclosedQuote(): ScanStep {
    return this.fail({
      code: 'UNCLOSED_QUOTE',
      line: this.quoteOpenLine,
      reason: 'a quoted field starts here and is never closed',
    });
  }

  private nulAt(chunk: Buffer): ScanStep | undefined {
    const nul = chunk.indexOf(NUL);
    if (nul < 0) return undefined;
    this.track(chunk, 0, nul, this.bytes - chunk.length);
    return this.fail({
      code: 'NOT_UTF8',
      line: this.lines + 1,
      reason: 'the file contains a NUL byte: it is binary, or text in an encoding other than UTF-8',
    });
  }

  private pushHeader(chunk: Buffer, offset: number): ScanStep {
    this.head?.push(chunk);
    this.headBytes += chunk.length;
    const first = this.head?.length === 1 ? chunk : Buffer.concat(this.head ?? []);
    if (isUtf16Bom(first)) {
      return this.fail({
        code: 'NOT_UTF8',
        line: 1,
        reason: 'the file is UTF-16 text; save it as UTF-8 (CSV UTF-8)',
      });
    }
    const nul = this.nulAt(chunk);
    if (nul) return nul;
    this.track(chunk, 0, chunk.length, offset);
    if (this.headerEnd < 0) {
      if (this.headBytes > this.maxHeaderBytes) {
        return this.fail({
          code: 'HEADER_MISMATCH',
          line: 1,
          reason: `the first line does not end within ${this.maxHeaderBytes / 1024} KiB; it must be the header row${this.crOnlyHint(first)}`,
        });
      }
      return { out: [] };
    }
    const start = startsWithBom(first) ? 3 : 0;
    if (isBlank(first.subarray(start, this.headerEnd))) {
      // A blank first line: a file of blank lines is empty (decided at the end); anything
      // else after it means the header is not on line 1.
      if (isBlank(first.subarray(start))) return { out: [] };
      return this.fail({
        code: 'HEADER_MISMATCH',
        line: 1,
        reason: 'the first line is empty; the file must start with the header row',
      });
    }
    return this.completeHeader(first, this.headerEnd);
  }

  private crOnlyHint(bytes: Buffer): string {
    return bytes.includes(CR) && !bytes.includes(LF)
      ? ' (the file seems to use old Mac line endings, CR only: save it with LF or CRLF line endings)'
      : '';
  }

  private completeHeader(all: Buffer, end: number): ScanStep {
    const start = startsWithBom(all) ? 3 : 0;
    let stop = end;
    if (stop > start && all[stop - 1] === CR) stop--;
    const headerBytes = all.subarray(start, stop);
    if (headerBytes.includes(CR)) {
      return this.fail({
        code: 'HEADER_MISMATCH',
        line: 1,
        reason:
          'the header row contains a carriage return: the file seems to use old Mac line endings (CR only); save it with LF or CRLF line endings',
      });
    }
    const text = decodeHeader(headerBytes);
    if (text === undefined) {
      return this.fail({ code: 'NOT_UTF8', line: 1, reason: 'the header row is not valid UTF-8 text' });
    }
    this.headerText = text;
    this.head = undefined;
    return { out: this.forward(all.subarray(start)) };
  }

  private endHeader(): ScanStep {
    const all = Buffer.concat(this.head ?? []);
    const start = startsWithBom(all) ? 3 : 0;
    if (isBlank(all.subarray(start))) {
      return this.fail({ code: 'EMPTY_FILE', reason: 'the file is empty' });
    }
    if (this.inQuote) return this.unclosedQuote();
    // A header with no line break after it: the whole input is the header (a header-only file).
    const completed = this.completeHeader(all, all.length);
    if (completed.problem) return completed;
    this.finishAtEnd();
    return completed;
  }

  private pushBody(chunk: Buffer, offset: number): ScanStep {
    const nul = this.nulAt(chunk);
    if (nul) return nul;
    this.track(chunk, 0, chunk.length, offset);
    return { out: this.forward(chunk) };
  }

  /** Forwards `bytes` after any held line breaks, holding back its own trailing line breaks. */
  private forward(bytes: Buffer): Uint8Array[] {
    let cut = bytes.length;
    while (cut > 0 && (bytes[cut - 1] === LF || bytes[cut - 1] === CR)) cut--;
    const out: Uint8Array[] = [];
    if (cut === 0) {
      // Only line breaks: keep holding them, together with any held before.
      this.held = this.held === undefined ? bytes : Buffer.concat([this.held, bytes]);
      return out;
    }
    if (this.held !== undefined) out.push(this.held);
    out.push(cut === bytes.length ? bytes : bytes.subarray(0, cut));
    this.held = cut === bytes.length ? undefined : bytes.subarray(cut);
    return out;
  }

  /**
   * Counts line feeds and toggles quote state over `chunk[from, to)`, in one merge of two
   * memchr scans (each occurrence is found once: linear even for a line full of quotes).
   */
  private track(chunk: Buffer, from: number, to: number, globalOffset: number): void {
    let lf = chunk.indexOf(LF, from);
    let quote = chunk.indexOf(QUOTE, from);
    if (lf < 0 || lf >= to) lf = to;
    if (quote < 0 || quote >= to) quote = to;
    while (lf < to || quote < to) {
      if (lf < quote) {
        this.lines++;
        this.lastLineEnd = globalOffset + lf + 1;
        if (this.inQuote) this.recordExtra++;
        else {
          this.finishRecord();
          if (this.records === 1 && this.headerEnd < 0) this.headerEnd = globalOffset + lf;
        }
        lf = chunk.indexOf(LF, lf + 1);
        if (lf < 0 || lf >= to) lf = to;
      } else {
        this.inQuote = !this.inQuote;
        if (this.inQuote) this.quoteOpenLine = this.lines + 1;
        quote = chunk.indexOf(QUOTE, quote + 1);
        if (quote < 0 || quote >= to) quote = to;
      }
    }
  }

  /**
   * Drops the held trailing line breaks (COPY would read a blank line as a row of missing
   * values) and counts the records COPY gets: what was forwarded never ends in a line break,
   * so its last record is unterminated; each dropped line feed ended a record COPY never sees.
   */
  private finishAtEnd(): void {
    let dropped = 0;
    if (this.held !== undefined) {
      for (let i = this.held.indexOf(LF); i >= 0; i = this.held.indexOf(LF, i + 1)) dropped++;
    }
    const terminated = this.records;
    // A last record without a line feed may span lines too: remember it like any other.
    if (this.held === undefined || this.bytes - this.held.length > this.lastLineEnd) this.finishRecord();
    this.forwardedRecords = terminated - dropped + 1;
    this.held = undefined;
  }

  private finishRecord(): void {
    this.records++;
    if (this.recordExtra > 0) this.lineMap.add(this.records, this.recordExtra);
    this.recordExtra = 0;
  }
}
