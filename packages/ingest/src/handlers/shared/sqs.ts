/**
 * What the SQS workers share: the event and context as structural subsets (the real
 * `aws-lambda` types fit), and the batch loop that turns per-message verdicts into the
 * partial-batch response.
 */
import type { Clock, Logger } from '../../ports.ts';

/** The parts of an SQS event the workers read (the `aws-lambda` `SQSEvent` fits). */
export interface IngestSqsEvent {
  readonly Records: readonly {
    readonly messageId: string;
    readonly body: string;
    readonly attributes?: { readonly ApproximateReceiveCount?: string };
  }[];
}

/** The parts of the Lambda context the workers read. */
export interface WorkerContext {
  readonly awsRequestId?: string;
  getRemainingTimeInMillis?(): number;
}

/** One delivery of a message: its receive count, the queue's limit and the work's deadline. */
export interface SqsDelivery {
  readonly receiveCount: number;
  readonly maxReceives: number;
  readonly deadline: number;
}

/** What the batch loop needs from a worker's dependencies. */
export interface SqsBatchDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly maxReceives: number;
  /** The Lambda timeout, used when the context cannot tell the time left. */
  readonly workerTimeoutMs: number;
}

/**
 * Processes the records one by one, each with a logger keyed by `requestId` and `messageId`,
 * all against one deadline (time left minus `safetyMarginMs`, at least 1 s). Reports exactly
 * the messages whose verdict is `retry` in `batchItemFailures`.
 *
 * @example
 * return processSqsBatch(event, context, d, SAFETY_MARGIN_MS, (body, delivery, log) =>
 *   processIngestMessage(d, body, delivery, log));
 */
export async function processSqsBatch(
  event: IngestSqsEvent,
  context: WorkerContext | undefined,
  d: SqsBatchDeps,
  safetyMarginMs: number,
  processRecord: (body: string, delivery: SqsDelivery, log: Logger) => Promise<{ retry: boolean }>,
): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  const remaining = context?.getRemainingTimeInMillis?.() ?? d.workerTimeoutMs;
  const deadline = d.clock.now() + Math.max(1000, remaining - safetyMarginMs);
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    const log = d.log.child({ requestId: context?.awsRequestId, messageId: record.messageId });
    const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1;
    const { retry } = await processRecord(
      record.body,
      { receiveCount, maxReceives: d.maxReceives, deadline },
      log,
    );
    if (retry) batchItemFailures.push({ itemIdentifier: record.messageId });
  }
  return { batchItemFailures };
}
