import { processSqsBatch, type SqsEvent, type WorkerContext } from '@herald/runtime';
import { type DeliveryDepsProvider, getDeliveryDeps } from '../compose.ts';
import { processFileFetch } from '../core/file-link.ts';

/** Time kept back from the Lambda timeout to abort the transfer (and its upload) and report. */
const SAFETY_MARGIN_MS = 15_000;

/**
 * Builds the fetch worker: one queued `POST /files/links` request per SQS message (a fetch that
 * outlived the API's budget). Fetches into the cache, presigns and sends `file.ready`. Reports
 * exactly the messages that hit a retryable fault with receives left in `batchItemFailures`.
 */
export function makeSqsFetchFileHandler(deps: DeliveryDepsProvider) {
  return async (event: SqsEvent, context?: WorkerContext) => {
    const d = deps();
    return processSqsBatch(event, context, d, SAFETY_MARGIN_MS, (body, delivery, log) =>
      processFileFetch(d, body, delivery, log),
    );
  };
}

export const handler = makeSqsFetchFileHandler(getDeliveryDeps);
