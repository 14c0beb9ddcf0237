import { processSqsBatch, type SqsEvent, type WorkerContext } from '@herald/runtime';
import { type DepsProvider, getDeps, type IngestDeps } from '../compose.ts';
import { processIngestMessage } from '../core/process-upload.ts';

/** Time kept back from the Lambda timeout to roll back, release and report cleanly. */
const SAFETY_MARGIN_MS = 15_000;

/**
 * Builds the ingest worker: one S3 `ObjectCreated` notification per SQS message (S3 → SQS, or
 * s3rver → the local queue). Reports exactly the messages that hit a retryable fault in
 * `batchItemFailures`; everything else is done (loaded, failed for good, or skipped).
 */
export function makeSqsIngestHandler(deps: DepsProvider<Exclude<keyof IngestDeps, 'jobs' | 'newId'>>) {
  return async (event: SqsEvent, context?: WorkerContext) => {
    const d = deps();
    return processSqsBatch(event, context, d, SAFETY_MARGIN_MS, (body, delivery, log) =>
      processIngestMessage(d, body, delivery, log),
    );
  };
}

export const handler = makeSqsIngestHandler(getDeps);
