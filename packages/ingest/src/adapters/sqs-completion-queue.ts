import { SqsJsonQueue, type SqsJsonQueueOptions } from '@herald/runtime/sqs-send';
import type { UploadCompletionMessage } from '../core/upload-completion.ts';
import { QueueError } from '../errors.ts';
import type { CompletionQueue } from '../ports.ts';

/**
 * Options of {@link SqsCompletionQueue}.
 *
 * @example
 * const options: SqsCompletionQueueOptions = { client: sqs, queueUrl: config.queueUrl };
 */
export type SqsCompletionQueueOptions = Omit<SqsJsonQueueOptions, 'toError'>;

/**
 * `UploadCompletionQueue` on SQS (the local stack serves SendMessage for it): hands a checked
 * multipart completion to the `sqs-complete-upload` worker.
 *
 * @example
 * await new SqsCompletionQueue({ client: sqs, queueUrl }).enqueue({ v: 1, jobId, userId });
 */
export class SqsCompletionQueue extends SqsJsonQueue<UploadCompletionMessage> implements CompletionQueue {
  constructor(options: SqsCompletionQueueOptions) {
    super({ ...options, toError: (message, o) => new QueueError(message, o) });
  }
}
