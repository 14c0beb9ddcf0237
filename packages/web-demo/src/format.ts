import { JobFailedError, type JobProgress } from '@herald/client-sdk';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** `1234567` → `1.2 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${integer.format(bytes)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${oneDecimal.format(value)} ${units[unit]}`;
}

/** `12345` → `12,345`. */
export function formatCount(count: number): string {
  return integer.format(count);
}

/** Seconds as `45 s` or `3 min 20 s`. */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  return s % 60 === 0 ? `${minutes} min` : `${minutes} min ${s % 60} s`;
}

/** Milliseconds as `850 ms` or `2.4 s`. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${integer.format(ms)} ms` : `${oneDecimal.format(ms / 1000)} s`;
}

/** An ISO timestamp in the reader's locale, to the second. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** The label of the progress bar: what is happening, in the numbers that matter for that phase. */
export function describeProgress(progress: JobProgress): { title: string; detail: string } {
  switch (progress.phase) {
    case 'pending':
      return { title: 'Starting', detail: 'Creating the upload…' };
    case 'uploading':
      return {
        title: 'Uploading',
        detail: `${formatBytes(progress.bytesSent)} of ${formatBytes(progress.bytesTotal)}`,
      };
    case 'queued':
      return { title: 'Queued', detail: 'Uploaded; waiting for a worker…' };
    case 'processing': {
      const eta = progress.etaSeconds === null ? 'ETA –' : `ETA ${formatSeconds(progress.etaSeconds)}`;
      return {
        title: 'Processing',
        detail: `${formatCount(progress.rowsProcessed)} rows · ${formatCount(progress.rowsPerSecond)} rows/s · ${eta}`,
      };
    }
    case 'succeeded':
      return {
        title: 'Done',
        detail: `${formatCount(progress.rowsLoaded)} rows in ${formatDuration(progress.durationMs)}`,
      };
    case 'failed':
      return {
        title: progress.error.code === 'ABORTED' ? 'Cancelled' : 'Failed',
        detail:
          progress.error instanceof JobFailedError ? 'Nothing was loaded.' : 'The upload did not complete.',
      };
  }
}
