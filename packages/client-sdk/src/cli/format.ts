import type { JobView, RowError } from '@herald/protocol/wire';
import { describeRowError } from '../errors.ts';
import type { JobProgress } from '../job-handle.ts';

/**
 * A byte count for people: `512 B`, `1.5 KB`, `12.3 MB`.
 *
 * @example
 * formatBytes(1_572_864); // '1.5 MB'
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * A count with thousands separators.
 *
 * @example
 * formatCount(12000); // '12,000'
 */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/**
 * A duration for people: `850 ms`, `4.2 s`, `3 min 5 s`.
 *
 * @example
 * formatDuration(185_000); // '3 min 5 s'
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * One line of the terminal progress bar for a progress report, fitted to `columns` (80 when the
 * terminal reports none or 0, as some pseudo-terminals and `stty cols 0` do).
 *
 * @example
 * progressLine({ phase: 'uploading', percent: 50, bytesSent: 512, bytesTotal: 1024 }, 80);
 * // 'Uploading   [##########..........]  50.0%  512 B / 1.0 KB'
 */
export function progressLine(progress: JobProgress, reported = 80): string {
  const columns = Number.isFinite(reported) && reported > 0 ? reported : 80;
  const bar = (percent: number, width: number) => {
    const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  };
  const width = Math.max(10, Math.min(30, columns - 60));
  const pct = `${progress.percent.toFixed(1).padStart(5)}%`;
  let line: string;
  switch (progress.phase) {
    case 'pending':
      line = 'Starting…';
      break;
    case 'uploading':
      line = `Uploading   ${bar(progress.percent, width)} ${pct}  ${formatBytes(progress.bytesSent)} / ${formatBytes(progress.bytesTotal)}`;
      break;
    case 'queued':
      line = `Queued      ${bar(0, width)}   waiting for a worker`;
      break;
    case 'processing': {
      const eta = progress.etaSeconds === null ? '' : `  ETA ${formatDuration(progress.etaSeconds * 1000)}`;
      line = `Processing  ${bar(progress.percent, width)} ${pct}  ${formatCount(progress.rowsProcessed)} rows  ${formatCount(progress.rowsPerSecond)} rows/s${eta}`;
      break;
    }
    case 'succeeded':
      line = `Done        ${bar(100, width)} 100.0%`;
      break;
    case 'failed':
      line = `Failed      ${bar(progress.percent, width)} ${pct}`;
      break;
  }
  return line.length > columns ? line.slice(0, Math.max(0, columns - 1)) : line;
}

/**
 * Row errors as indented lines, one per row.
 *
 * @example
 * formatRowErrors([{ line: 3, column: 'amount', reason: 'not a number' }]);
 * // ['  line 3, column `amount`: not a number']
 */
export function formatRowErrors(rows: readonly RowError[]): string[] {
  return rows.map(
    (row) =>
      `  ${describeRowError(row)}${row.value === undefined ? '' : ` (value: ${JSON.stringify(row.value)})`}`,
  );
}

/**
 * Jobs as an aligned text table.
 *
 * @example
 * console.log(formatJobsTable(list.jobs));
 */
export function formatJobsTable(jobs: readonly JobView[]): string {
  if (jobs.length === 0) return 'No jobs yet.';
  const rows = [
    ['JOB', 'STATE', 'DATASET', 'FILE', 'ROWS', 'CREATED'],
    ...jobs.map((job) => [
      job.jobId,
      job.state,
      job.dataset,
      job.fileName,
      job.state === 'failed' ? `${formatCount(job.rowsRejected)} rejected` : formatCount(job.rowsLoaded),
      job.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
