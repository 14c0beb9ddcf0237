/**
 * The SQS batch loop every queue worker shares: the event and context as structural subsets
 * (the real `aws-lambda` types fit), per-message verdicts turned into the partial-batch
 * response, one deadline for the batch, metrics flushed once per invocation.
 */
import type { Clock } from './clock.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';

/**
 * Parses a queue message body as JSON checked by `schema`; undefined when it is not such a
 * message (the worker logs and drops it: retrying cannot fix it).
 *
 * @example
 * const message = parseQueueMessage(FileFetchMessageSchema, record.body);
 */
export function parseQueueMessage<T>(
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } },
  body: string,
): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The parts of an SQS event the workers read (the `aws-lambda` `SQSEvent` fits).
 *
 * @example
 * const event: SqsEvent = { Records: [{ messageId: 'm-1', body: '{}' }] };
 */
export interface SqsEvent {
  readonly Records: readonly {
    readonly messageId: string;
    readonly body: string;
    readonly attributes?: { readonly ApproximateReceiveCount?: string };
  }[];
}

/**
 * The parts of the Lambda context the workers read.
 *
 * @example
 * const context: WorkerContext = { awsRequestId: 'r-1', getRemainingTimeInMillis: () => 60_000 };
 */
export interface WorkerContext {
  readonly awsRequestId?: string;
  getRemainingTimeInMillis?(): number;
}

/**
 * One delivery of a message: its receive count, the queue's limit and the work's deadline.
 *
 * @example
 * const lastDelivery = delivery.receiveCount >= delivery.maxReceives;
 */
export interface SqsDelivery {
  readonly receiveCount: number;
  readonly maxReceives: number;
  /** Epoch milliseconds by which the work must be done (the Lambda timeout, less a margin). */
  readonly deadline: number;
}

/**
 * What the batch loop needs from a worker's dependencies.
 *
 * @example
 * const d: SqsBatchDeps = { clock: systemClock, log, metrics, maxReceives: 3, workerTimeoutMs: 900_000 };
 */
export interface SqsBatchDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Receives after which the queue dead-letters a message (`maxReceiveCount`). */
  readonly maxReceives: number;
  /** The Lambda timeout, used when the context cannot tell the time left. */
  readonly workerTimeoutMs: number;
}

/**
 * What {@link processSqsBatch} answers: `ReportBatchItemFailures`.
 *
 * @example
 * const response: SqsBatchResponse = { batchItemFailures: [{ itemIdentifier: 'm-1' }] };
 */
export interface SqsBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * Processes the records one by one, each with a logger keyed by `requestId` and `messageId`,
 * all against one deadline (time left minus `safetyMarginMs`, at least 1 s). Reports exactly
 * the messages whose verdict is `retry` in `batchItemFailures`, and flushes the metrics the
 * invocation recorded, whatever happened.
 *
 * @example
 * return processSqsBatch(event, context, d, SAFETY_MARGIN_MS, (body, delivery, log) =>
 *   processIngestMessage(d, body, delivery, log));
 */
export async function processSqsBatch(
  event: SqsEvent,
  context: WorkerContext | undefined,
  d: SqsBatchDeps,
  safetyMarginMs: number,
  processRecord: (body: string, delivery: SqsDelivery, log: Logger) => Promise<{ retry: boolean }>,
): Promise<SqsBatchResponse> {
  try {
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
  } finally {
    d.metrics.flush();
  }
}
