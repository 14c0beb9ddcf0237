import { SqsJsonQueue, type SqsJsonQueueOptions } from '@herald/runtime/sqs-send';
import type { FileFetchMessage } from '../core/file-fetch-message.ts';
import { QueueError } from '../errors.ts';
import type { FetchQueue } from '../ports.ts';

/**
 * Options of {@link SqsFetchQueue}.
 *
 * @example
 * const options: SqsFetchQueueOptions = { client: sqs, queueUrl: config.fetchQueueUrl };
 */
export type SqsFetchQueueOptions = Omit<SqsJsonQueueOptions, 'toError'>;

/**
 * `FileFetchQueue` on SQS (the local stack serves SendMessage for it): hands a fetch that
 * outlived the API's budget to the `sqs-fetch-file` worker.
 *
 * @example
 * await new SqsFetchQueue({ client: sqs, queueUrl }).enqueue(message);
 */
export class SqsFetchQueue extends SqsJsonQueue<FileFetchMessage> implements FetchQueue {
  constructor(options: SqsFetchQueueOptions) {
    super({ ...options, toError: (message, o) => new QueueError(message, o) });
  }
}
