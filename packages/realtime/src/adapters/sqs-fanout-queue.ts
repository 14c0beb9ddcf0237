import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { mapWithConcurrency } from '../core/concurrency.ts';
import { StoreError } from '../errors.ts';
import type { FanoutQueue, FanoutShard } from '../ports.ts';
import { awsErrorName, isRetryableAwsError } from './aws-errors.ts';

/** Options of {@link SqsFanoutQueue}. */
export interface SqsFanoutQueueOptions {
  /** Built once per container by `compose/` (endpoint override `HERALD_SQS_ENDPOINT` locally). */
  readonly client: SQSClient;
  /** `HERALD_TOPIC_FANOUT_QUEUE_URL` (see `queueUrlVariable` in `@herald/protocol`). */
  readonly queueUrl: string;
}

/** SendMessage calls in flight while queuing one event's shards. */
const SEND_CONCURRENCY = 8;

/**
 * {@link FanoutQueue} on SQS: each shard is one message (`{event, connectionIds}` as JSON; 500
 * ids and a topic event stay well under SQS's 256 KiB), sent with SendMessage, a few at a time
 * (one call per shard rather than SendMessageBatch: the local stack serves SendMessage only, and
 * a publish queues tens of shards, not thousands). A failed send fails the publish (`retryable`
 * when transient): a retried publish gets a new `seq`, and shards already queued are delivered
 * under the old one, which is harmless.
 *
 * @example
 * await new SqsFanoutQueue({ client: sqs, queueUrl }).send(shards);
 */
export class SqsFanoutQueue implements FanoutQueue {
  readonly #client: SQSClient;
  readonly #queueUrl: string;

  constructor(options: SqsFanoutQueueOptions) {
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
  }

  async send(shards: readonly FanoutShard[]): Promise<void> {
    if (shards.length === 0) return;
    await mapWithConcurrency(shards, SEND_CONCURRENCY, async (shard) => {
      try {
        await this.#client.send(
          new SendMessageCommand({ QueueUrl: this.#queueUrl, MessageBody: JSON.stringify(shard) }),
        );
      } catch (error) {
        throw new StoreError('fanoutQueue', `fan-out queue send failed (${awsErrorName(error)})`, {
          cause: error,
          retryable: isRetryableAwsError(error),
        });
      }
    });
  }
}
