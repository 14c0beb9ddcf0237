import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { FileFetchMessage } from '../core/file-fetch-message.ts';
import { QueueError } from '../errors.ts';
import type { FetchQueue } from '../ports.ts';

/**
 * Options of {@link SqsFetchQueue}.
 *
 * @example
 * const options: SqsFetchQueueOptions = { client: sqs, queueUrl: config.fetchQueueUrl };
 */
export interface SqsFetchQueueOptions {
  /** Built once per container by `compose.ts` (endpoint override `HERALD_SQS_ENDPOINT` locally). */
  readonly client: SQSClient;
  /** `HERALD_FILE_FETCH_QUEUE_URL` (see `queueUrlVariable` in `@herald/protocol`). */
  readonly queueUrl: string;
}

/**
 * `FileFetchQueue` on SQS (the local stack serves SendMessage for it): hands a fetch that
 * outlived the API's budget to the `sqs-fetch-file` worker.
 *
 * @example
 * await new SqsFetchQueue({ client: sqs, queueUrl }).enqueue(message);
 */
export class SqsFetchQueue implements FetchQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(options: SqsFetchQueueOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
  }

  async enqueue(message: FileFetchMessage): Promise<void> {
    try {
      await this.#client.send(
        new SendMessageCommand({ QueueUrl: this.#queueUrl, MessageBody: JSON.stringify(message) }),
      );
    } catch (error) {
      const e = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
      const status = e?.$metadata?.httpStatusCode;
      const retryable =
        e?.$retryable !== undefined || status === undefined || status >= 500 || status === 429;
      throw new QueueError(`SQS SendMessage failed (${e?.name ?? 'Error'})`, { cause: error, retryable });
    }
  }
}
