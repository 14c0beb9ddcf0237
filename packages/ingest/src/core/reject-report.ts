import type { ErrorEnvelope, RejectReport, ReportRowError, RowError } from '@herald/protocol';
import { MAX_ROW_ERRORS } from '@herald/protocol';
import type { RowErrorDetail } from './load-contract.ts';

/** Row errors kept on the job row (and shown by `GET /jobs/{id}/errors` without the report). */
export const JOB_ROW_ERRORS = 20;

const clip = (text: string, max: number): string =>
  [...text].length <= max ? text : [...text].slice(0, max).join('');

/**
 * A loader's row error as the wire carries it (`RowErrorSchema` is strict and bounded): the
 * machine code is left out, long strings are clipped to the schema's limits.
 *
 * @example
 * toRowError({ line: 3, column: 'amount', value: '12,5', reason: '…', code: 'INVALID_VALUE' });
 */
export function toRowError(detail: RowErrorDetail): RowError {
  const row: { line: number; column?: string; value?: string; reason: string } = {
    line: Math.max(1, Math.floor(detail.line)),
    reason: clip(detail.reason, 500) || 'This row was refused.',
  };
  if (detail.column !== undefined && detail.column !== '') row.column = clip(detail.column, 128);
  if (detail.value !== undefined) row.value = clip(detail.value, 80);
  return row;
}

/** {@link toRowError} plus the code: one line of the reject report. */
export function toReportRowError(detail: RowErrorDetail): ReportRowError {
  return { ...toRowError(detail), code: detail.code };
}

/** The row errors an event carries: the first {@link MAX_ROW_ERRORS}. */
export function eventRowErrors(details: readonly RowErrorDetail[]): RowError[] {
  return details.slice(0, MAX_ROW_ERRORS).map(toRowError);
}

/** The row errors the job row keeps: the first {@link JOB_ROW_ERRORS}. */
export function jobRowErrors(details: readonly RowErrorDetail[]): RowError[] {
  return details.slice(0, JOB_ROW_ERRORS).map(toRowError);
}

export interface RejectReportInput {
  readonly jobId: string;
  readonly dataset: string;
  readonly fileName: string;
  readonly error: ErrorEnvelope | null;
  readonly rowsRejected: number;
  readonly details: readonly RowErrorDetail[];
  readonly createdAt: Date;
}

/**
 * The reject report stored next to the upload: every row error the loader reported.
 *
 * @example
 * const body = JSON.stringify(rejectReport({ jobId, dataset, fileName, error, rowsRejected, details, createdAt }));
 */
export function rejectReport(input: RejectReportInput): RejectReport {
  return {
    jobId: input.jobId,
    dataset: input.dataset,
    fileName: input.fileName,
    error: input.error,
    rowsRejected: input.rowsRejected,
    rowErrors: input.details.map(toReportRowError),
    createdAt: input.createdAt.toISOString(),
  };
}
