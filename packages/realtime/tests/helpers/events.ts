import type { FileReadyEvent, JobEvent } from '@herald/protocol';

export const JOB_A = '0b6f3c8e-7a43-4a8e-9f0a-3f6d2b1c9e11';
export const JOB_B = '1c7a4d9f-8b54-4b9f-8a1b-4a7e3c2d0f22';
const at = '2025-06-01T11:59:00.000Z';

/** One valid event of each kind for a job (file.ready for a request of the same user). */
export function events(jobId: string) {
  const queued: JobEvent = { type: 'job.queued', seq: 0, at, jobId, dataset: 'sales' };
  const progress: JobEvent = {
    type: 'job.progress',
    seq: 1,
    at,
    jobId,
    bytesRead: 512,
    bytesTotal: 1024,
    rowsProcessed: 10,
    percent: 50,
    rowsPerSecond: 12.5,
    etaSeconds: 0.8,
  };
  const succeeded: JobEvent = {
    type: 'job.succeeded',
    seq: 2,
    at,
    jobId,
    rowsLoaded: 20,
    rowsRejected: 0,
    durationMs: 900,
  };
  const failed: JobEvent = {
    type: 'job.failed',
    seq: 2,
    at,
    jobId,
    error: { code: 'HEADER_MISMATCH', message: 'The header row does not match the dataset’s columns.' },
  };
  const file: FileReadyEvent = {
    type: 'file.ready',
    seq: 1,
    at,
    requestId: 'req-1',
    path: 'reports/report.pdf',
    url: 'https://files.example.com/reports/report.pdf?X-Amz-Signature=abc',
    expiresAt: '2025-06-01T12:05:00.000Z',
    size: 1234,
    contentType: 'application/pdf',
    fileName: 'report.pdf',
  };
  return { queued, progress, succeeded, failed, file };
}
