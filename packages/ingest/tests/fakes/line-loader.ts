import type { CsvLoadRequest, LoadOutcome, LoadProgress } from '../../src/core/load-contract.ts';

/**
 * A stand-in for the CSV load engine with simple, observable rules, shared by the in-memory
 * fake and the PostgreSQL contract binding so both behave alike:
 * - the first line is the header; every other non-empty line is one row;
 * - a row `!bad` is refused: the load returns `ok: false` (INVALID_VALUE, its line, column `amount`);
 * - a row `!throw` makes the load throw a retryable error (a connection fault) when reached;
 * - a row `!bug` makes it throw a non-retryable error.
 */
export interface LinePlan {
  /** Data rows (header excluded), in order. */
  readonly rows: readonly { readonly line: number; readonly text: string }[];
  readonly outcome: LoadOutcome;
  /** Throw this instead of returning `outcome`, after `rows` were written. */
  readonly throws?: Error;
}

/** A retryable fault as the load engine reports one. */
export class FakeConnectionError extends Error {
  readonly retryable = true;
  constructor() {
    super('Connection terminated unexpectedly');
    this.name = 'FakeConnectionError';
  }
}

/** Reads the whole source, reporting progress per chunk; `onChunk` runs before each report. */
export async function readAll(request: CsvLoadRequest, onChunk?: () => void): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  let bytesRead = 0;
  for await (const chunk of request.source) {
    request.signal?.throwIfAborted();
    bytesRead += chunk.byteLength;
    text += decoder.decode(chunk, { stream: true });
    onChunk?.();
    const progress: LoadProgress = { bytesRead, rowsProcessed: Math.max(0, text.split('\n').length - 2) };
    request.onProgress?.(progress);
  }
  return text + decoder.decode();
}

/** What loading `text` does under the rules above. */
export function planLines(text: string): LinePlan {
  const lines = text.split(/\r?\n/);
  const rows: { line: number; text: string }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const row = lines[i] as string;
    if (row === '') continue;
    if (row === '!throw') return { rows, outcome: ok(rows.length), throws: new FakeConnectionError() };
    if (row === '!bug') return { rows, outcome: ok(rows.length), throws: new TypeError('loader bug') };
    if (row === '!bad') {
      return {
        rows,
        outcome: {
          ok: false,
          code: 'INVALID_VALUE',
          message: `line ${i + 1}, column \`amount\`: \`!bad\` is not a number`,
          rowErrors: [
            {
              line: i + 1,
              column: 'amount',
              value: '!bad',
              reason: '`!bad` is not a number',
              code: 'INVALID_VALUE',
            },
          ],
          rowsRejected: 1,
        },
      };
    }
    rows.push({ line: i + 1, text: row });
  }
  return { rows, outcome: ok(rows.length) };
}

function ok(rowsLoaded: number): LoadOutcome {
  return { ok: true, rowsLoaded, rowsRejected: 0, rejects: [] };
}
