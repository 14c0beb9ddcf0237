import { type DepsProvider, getDeps, type IngestDeps } from '../compose.ts';
import { processIngestMessage } from '../core/process-upload.ts';

/** The parts of an SQS event the worker reads (the `aws-lambda` `SQSEvent` fits). */
export interface IngestSqsEvent {
  readonly Records: readonly {
    readonly messageId: string;
    readonly body: string;
    readonly attributes?: { readonly ApproximateReceiveCount?: string };
  }[];
}

/** The parts of the Lambda context the worker reads. */
export interface WorkerContext {
  readonly awsRequestId?: string;
  getRemainingTimeInMillis?(): number;
}

/** Time kept back from the Lambda timeout to roll back, release and report cleanly. */
const SAFETY_MARGIN_MS = 15_000;

/**
 * Builds the ingest worker: one S3 `ObjectCreated` notification per SQS message (S3 → SQS, or
 * s3rver → the local queue). Reports exactly the messages that hit a retryable fault in
 * `batchItemFailures`; everything else is done (loaded, failed for good, or skipped).
 */
export function makeSqsIngestHandler(deps: DepsProvider<Exclude<keyof IngestDeps, 'jobs' | 'newId'>>) {
  return async (event: IngestSqsEvent, context?: WorkerContext) => {
    const d = deps();
    const remaining = context?.getRemainingTimeInMillis?.() ?? d.workerTimeoutMs;
    const deadline = d.clock.now() + Math.max(1000, remaining - SAFETY_MARGIN_MS);
    const batchItemFailures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      const log = d.log.child({ requestId: context?.awsRequestId, messageId: record.messageId });
      const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
      const { retry } = await processIngestMessage(
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

export const handler = makeSqsIngestHandler(getDeps);
