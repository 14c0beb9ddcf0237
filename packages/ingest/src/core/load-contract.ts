import type { ErrorCode } from '@herald/protocol';
import type { DatasetDefinition } from '../datasets/types.ts';

/**
 * The contract between the job worker (claims the job, owns the transaction, reports progress
 * and results) and the CSV loader (turns a byte stream into rows of the dataset's table).
 */

/** One refused row (or header cell): 1-based line, the column to blame, an excerpt, a sentence. */
export interface RowErrorDetail {
  readonly line: number;
  readonly column?: string;
  /** At most 80 characters of the refused value, when showing it helps. */
  readonly value?: string;
  readonly reason: string;
  readonly code: ErrorCode;
}

export type LoadOutcome =
  | {
      readonly ok: true;
      readonly rowsLoaded: number;
      readonly rowsRejected: number;
      /** Refused-and-skipped rows (only when the dataset allows `maxRejects`), first ones. */
      readonly rejects: readonly RowErrorDetail[];
    }
  | {
      readonly ok: false;
      /** What failed the job: a stable code and a sentence a person understands. */
      readonly code: ErrorCode;
      readonly message: string;
      /** The first refused rows (at most 100), for `job.failed` and the reject report. */
      readonly rowErrors: readonly RowErrorDetail[];
      readonly rowsRejected: number;
    };

export interface LoadProgress {
  readonly bytesRead: number;
  /** Records seen so far (approximate while running: newline count). */
  readonly rowsProcessed: number;
}

export interface CsvLoadRequest {
  readonly jobId: string;
  readonly dataset: DatasetDefinition;
  /** The uploaded object's bytes, streamed (never buffered whole). */
  readonly source: AsyncIterable<Uint8Array>;
  readonly onProgress?: (progress: LoadProgress) => void;
  readonly signal?: AbortSignal;
  /**
   * Validate exactly as a load would (same codes, lines and columns) and leave nothing: the
   * outcome is what the load would return. @default false
   */
  readonly dryRun?: boolean;
}
