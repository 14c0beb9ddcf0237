import { randomUUID } from 'node:crypto';
import type { SNSEvent } from 'aws-lambda';

/** An SNS → Lambda event for one published message, shaped as AWS delivers it. */
export function snsEvent(topicId: string, message: string, region = 'us-east-1'): SNSEvent {
  const topicArn = `arn:aws:sns:${region}:000000000000:${topicId}`;
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: `${topicArn}:${randomUUID()}`,
        Sns: {
          Type: 'Notification',
          MessageId: randomUUID(),
          TopicArn: topicArn,
          Subject: '',
          Message: message,
          Timestamp: new Date().toISOString(),
          SignatureVersion: '1',
          Signature: 'local',
          SigningCertUrl: '',
          UnsubscribeUrl: '',
          MessageAttributes: {},
        },
      },
    ],
  };
}
