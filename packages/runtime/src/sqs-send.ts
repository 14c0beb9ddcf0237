/**
 * Handing one JSON message to a queue worker (SQS SendMessage), for the packages whose handlers
 * continue work off the request path (`FileFetchQueue`, `UploadCompletionQueue`).
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/**
 * Options of {@link SqsJsonQueue}.
 *
 * @example
 * const options: SqsJsonQueueOptions = { client: sqs, queueUrl, toError: (m, o) => new QueueError(m, o) };
 */
export interface SqsJsonQueueOptions {
  /** Built once per container by the package's composition (endpoint override `HERALD_SQS_ENDPOINT` locally). */
  readonly client: SQSClient;
  /** The queue's URL, from `HERALD_<ID>_URL` (see `queueUrlVariable` in `@herald/protocol`). */
  readonly queueUrl: string;
  /** The package's own error for a failed send; `retryable` for throttling, 5xx and network faults. */
  readonly toError: (message: string, options: { cause: unknown; retryable: boolean }) => Error;
}

/**
 * A queue of JSON messages on SQS (the local stack serves SendMessage for it). A package's queue
 * port is this with its message type and its error.
 *
 * @example
 * await new SqsJsonQueue<{ jobId: string }>({ client: sqs, queueUrl, toError }).enqueue({ jobId });
 */
export class SqsJsonQueue<Message> {
  readonly #client: SQSClient;
  readonly #queueUrl: string;
  readonly #toError: SqsJsonQueueOptions['toError'];

  constructor(options: SqsJsonQueueOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.#toError = options.toError;
  }

  async enqueue(message: Message): Promise<void> {
    try {
      await this.#client.send(
        new SendMessageCommand({ QueueUrl: this.#queueUrl, MessageBody: JSON.stringify(message) }),
      );
    } catch (error) {
      const e = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
      const status = e?.$metadata?.httpStatusCode;
      const retryable =
        e?.$retryable !== undefined || status === undefined || status >= 500 || status === 429;
      throw this.#toError(`SQS SendMessage failed (${e?.name ?? 'Error'})`, { cause: error, retryable });
    }
  }
}
