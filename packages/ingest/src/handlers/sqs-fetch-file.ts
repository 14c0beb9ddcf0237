import { type FileDepsProvider, getFileDeps } from '../compose.ts';
import { processFileFetch } from '../core/file-link.ts';
import type { IngestSqsEvent, WorkerContext } from './sqs-ingest.ts';

/** Time kept back from the Lambda timeout to abort the transfer (and its upload) and report. */
const SAFETY_MARGIN_MS = 15_000;

/**
 * Builds the fetch worker: one queued `POST /files/links` request per SQS message (a fetch that
 * outlived the API's budget). Fetches into the cache, presigns and sends `file.ready`. Reports
 * exactly the messages that hit a retryable fault with receives left in `batchItemFailures`.
 */
export function makeSqsFetchFileHandler(deps: FileDepsProvider) {
  return async (event: IngestSqsEvent, context?: WorkerContext) => {
    const d = deps();
    const remaining = context?.getRemainingTimeInMillis?.() ?? d.workerTimeoutMs;
    const deadline = d.clock.now() + Math.max(1000, remaining - SAFETY_MARGIN_MS);
    const batchItemFailures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      const log = d.log.child({ requestId: context?.awsRequestId, messageId: record.messageId });
      const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
      const { retry } = await processFileFetch(
        d,
        record.body,
        { receiveCount, maxReceives: d.maxReceives, deadline },
        log,
      );
      if (retry) batchItemFailures.push({ itemIdentifier: record.messageId });
    }
    return { batchItemFailures };
  };
}

export const handler = makeSqsFetchFileHandler(getFileDeps);
