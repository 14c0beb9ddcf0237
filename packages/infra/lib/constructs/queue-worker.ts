import type { QueueRoute } from '@herald/protocol';
import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { EventType, type IBucket } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** SQS's largest message (256 KiB); S3 event notifications need at least 64 KiB. */
export const MAX_MESSAGE_BYTES = 262_144;

/** AWS's advice for Lambda-consumed queues: visibility ≥ 6 × the function timeout. */
export const VISIBILITY_FACTOR = 6;

export interface QueueWorkerProps {
  /** The route table entry: handler, source, batch size, receives, timeout. */
  readonly route: QueueRoute;
  /** The bucket `route.source.bucket` names. @default - none; required when the route has a source */
  readonly bucket?: IBucket;
}

/**
 * An SQS queue → its worker, with partial batch failure reporting and a dead-letter queue after
 * `maxReceiveCount` receives. A route with a `source` is fed by S3 object-created notifications
 * under its prefix (at least once, sometimes late or twice: the worker is idempotent per job);
 * a route without one is fed by handlers with SendMessage.
 *
 * The queue exists before its worker (handlers get queue URLs in their environment), so the
 * worker is attached afterwards with {@link QueueWorker.attachWorker}.
 */
export class QueueWorker extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: QueueWorkerProps) {
    super(scope, id);
    const { route } = props;
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      maxMessageSizeBytes: MAX_MESSAGE_BYTES,
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      maxMessageSizeBytes: MAX_MESSAGE_BYTES,
      visibilityTimeout: Duration.seconds(VISIBILITY_FACTOR * route.timeoutSeconds),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: route.maxReceiveCount },
    });
    if (route.source) {
      if (!props.bucket)
        throw new Error(`queue ${route.id}: its source bucket "${route.source.bucket}" is missing`);
      props.bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(this.queue), {
        prefix: route.source.prefix,
      });
    }
    this.route = route;
  }

  private readonly route: QueueRoute;

  /**
   * Subscribes the worker (whose timeout must be the route's `timeoutSeconds`) with the route's
   * batch size and partial batch failure reporting.
   *
   * @param maxConcurrency concurrent invocations the event source mapping allows (@default - no limit)
   */
  attachWorker(worker: IFunction, maxConcurrency?: number): void {
    worker.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: this.route.batchSize,
        reportBatchItemFailures: true,
        ...(maxConcurrency !== undefined && { maxConcurrency }),
      }),
    );
  }
}
