import { Duration } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.ts';
import { MAX_MESSAGE_BYTES } from './queue-worker.ts';

export interface TopicSubscriberProps {
  /** The subscriber (`sns-notify`). */
  readonly subscriber: IFunction;
  /** Encrypts the topic at rest. @default - the AWS managed `alias/aws/sns` key */
  readonly masterKey?: IKey;
}

/**
 * The notify topic other services publish `{userId, event}` messages to, and its Lambda
 * subscriber. SNS invokes the function asynchronously: Lambda retries a failed event twice, then
 * sends it to the dead-letter queue; SNS sends there too when it cannot invoke the function at all.
 */
export class TopicSubscriber extends Construct {
  readonly topic: Topic;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: TopicSubscriberProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', {
      displayName: 'Herald notifications',
      enforceSSL: true,
      ...(props.masterKey && { masterKey: props.masterKey }),
    });
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      maxMessageSizeBytes: MAX_MESSAGE_BYTES,
    });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself a dead-letter queue: of the notify subscription (SNS redrive policy) and of the ' +
        "subscriber's asynchronous invocations (Lambda on-failure destination).",
    );
    this.topic.addSubscription(
      new LambdaSubscription(props.subscriber, { deadLetterQueue: this.deadLetterQueue }),
    );
    props.subscriber.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
  }
}
