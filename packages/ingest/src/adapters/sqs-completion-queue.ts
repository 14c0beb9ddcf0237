import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { UploadCompletionMessage } from '../core/upload-completion.ts';
import { QueueError } from '../errors.ts';
import type { CompletionQueue } from '../ports.ts';

/**
 * Options of {@link SqsCompletionQueue}.
 *
 * @example
 * const options: SqsCompletionQueueOptions = { client: sqs, queueUrl: config.queueUrl };
 */
export interface SqsCompletionQueueOptions {
  /** Built once per container by `compose/` (endpoint override `HERALD_SQS_ENDPOINT` locally). */
  readonly client: SQSClient;
  /** `HERALD_UPLOAD_COMPLETION_QUEUE_URL` (see `queueUrlVariable` in `@herald/protocol`). */
  readonly queueUrl: string;
}

/**
 * `UploadCompletionQueue` on SQS (the local stack serves SendMessage for it): hands a checked
 * multipart completion to the `sqs-complete-upload` worker.
 *
 * @example
 * await new SqsCompletionQueue({ client: sqs, queueUrl }).enqueue({ v: 1, jobId, userId });
 */
export class SqsCompletionQueue implements CompletionQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(options: SqsCompletionQueueOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
  }

  async enqueue(message: UploadCompletionMessage): Promise<void> {
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
