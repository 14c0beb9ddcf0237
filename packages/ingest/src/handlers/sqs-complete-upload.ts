import { processSqsBatch, type SqsEvent, type WorkerContext } from '@herald/runtime';
import { getCompletionWorkerDeps } from '../compose/completions.ts';
import type { DepsProvider } from '../compose.ts';
import { completeQueuedUpload } from '../core/upload-completion.ts';

/** Time kept back from the Lambda timeout to log and report. */
const SAFETY_MARGIN_MS = 15_000;

/**
 * Builds the completion worker: one checked `POST /uploads/{jobId}/complete` per SQS message.
 * Completes the multipart upload (S3 may take minutes for a large object); the object's S3 event
 * then queues the job for `sqs-ingest`. Reports exactly the messages that hit a retryable fault
 * in `batchItemFailures`.
 *
 * @example
 * const handler = makeSqsCompleteUploadHandler(() => deps); // tests pass fakes
 */
export function makeSqsCompleteUploadHandler(
  deps: DepsProvider<
    'uploads' | 'multipart' | 'objects' | 'clock' | 'log' | 'metrics' | 'maxReceives' | 'workerTimeoutMs'
  >,
) {
  return async (event: SqsEvent, context?: WorkerContext) => {
    const d = deps();
    return processSqsBatch(event, context, d, SAFETY_MARGIN_MS, (body, delivery, log) =>
      completeQueuedUpload(d, body, delivery, log),
    );
  };
}

export const handler = makeSqsCompleteUploadHandler(getCompletionWorkerDeps);
