import type { TerminalEvent } from '@herald/protocol';
import type { PushMessage } from '../ports.ts';

/**
 * The push for a terminal event that reached no open connection. The data payload carries ids
 * and the `seq`, never data: the app fetches details over REST (`GET /jobs/{id}`) or asks for a
 * new file link. In particular a `file.ready` push never carries the presigned URL: a push
 * passes through Google and Apple, and the URL would expire before many users open it.
 * FCM data values must be strings.
 *
 * @example
 * pushMessageFor(succeeded); // { notification: { title: 'Import finished', body: '1,204 rows loaded.' }, data: {...} }
 */
export function pushMessageFor(event: TerminalEvent): PushMessage {
  const base = { type: event.type, seq: String(event.seq), at: event.at };
  switch (event.type) {
    case 'job.succeeded': {
      const rejected = event.rowsRejected > 0 ? `, ${count(event.rowsRejected)} skipped` : '';
      return {
        notification: {
          title: 'Import finished',
          body: `${count(event.rowsLoaded)} ${event.rowsLoaded === 1 ? 'row' : 'rows'} loaded${rejected}.`,
        },
        data: { ...base, jobId: event.jobId },
      };
    }
    case 'job.validated':
      return {
        notification: {
          title: 'File checked',
          body: `${count(event.rowsLoaded)} ${event.rowsLoaded === 1 ? 'row' : 'rows'} would load; nothing was loaded.`,
        },
        data: { ...base, jobId: event.jobId },
      };
    case 'job.cancelled':
      return {
        notification: { title: 'Import cancelled', body: truncate(event.error.message, 200) },
        data: { ...base, jobId: event.jobId, code: event.error.code },
      };
    case 'job.failed':
      return {
        notification: { title: 'Import failed', body: truncate(event.error.message, 200) },
        data: { ...base, jobId: event.jobId, code: event.error.code },
      };
    case 'file.ready':
      return {
        notification: { title: 'File ready', body: `${truncate(event.fileName, 120)} is ready to download.` },
        data: { ...base, requestId: event.requestId, path: event.path },
      };
  }
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
