import { NotifyMessageSchema, NotifyTopicMessageSchema } from '@herald/protocol';
import { isRetryable, type Logger, validationFailure } from '@herald/runtime';
import { getBaseDeps } from '../compose/base.ts';
import { getPublishingDeps } from '../compose/publisher.ts';
import { getTopicPublishDeps, getTopicStoreDeps } from '../compose/topics.ts';
import type { DepsProvider, RealtimeDeps } from '../compose.ts';
import { publishToTopic, type TopicPublishDeps } from '../core/topic-publish.ts';
import type { SnsEvent } from '../events.ts';

type NotifyDeps = Pick<RealtimeDeps, 'publisher' | 'log'> & TopicPublishDeps;

/**
 * Builds the notify-topic subscriber: each SNS record's `Message` is JSON `{userId, event}`
 * (`NotifyMessageSchema`), handed to the publisher, or `{topic, message}`
 * (`NotifyTopicMessageSchema`: a shared topic as the target), published to the topic and its
 * fan-out queued. A message that is not valid is logged
 * (its SNS message id and what is wrong, never its content) and dropped: retrying cannot fix
 * it. A transient failure (a table or `@connections` throttled) fails the invocation, so
 * Lambda's asynchronous retries (two, then the on-failure destination) try again; a retry may
 * deliver an event twice over WebSocket, which clients deduplicate on `seq`.
 */
export function makeSnsNotifyHandler(
  deps: DepsProvider<
    | 'publisher'
    | 'log'
    | 'metrics'
    | 'clock'
    | 'topicEvents'
    | 'topicSubscriptions'
    | 'fanout'
    | 'topicShardSize'
    | 'topicEventTtlSeconds'
  >,
) {
  return async (event: SnsEvent): Promise<void> => {
    const d = deps();
    try {
      await publishAll(event, d);
    } finally {
      d.metrics.flush();
    }
  };
}

/** Publishes one parsed message; one that is neither form is logged and dropped. */
async function publishOne(message: unknown, d: NotifyDeps, logger: Logger): Promise<void> {
  // A `topic` key picks the shared-topic form; anything else is read as the user form.
  if (typeof message === 'object' && message !== null && 'topic' in message) {
    const parsed = NotifyTopicMessageSchema.safeParse(message);
    if (!parsed.success) {
      const { details } = validationFailure(parsed.error.issues, 'notify message');
      logger.log('warn', 'notify message dropped: not {topic, message}', { ...details });
      return;
    }
    await publishToTopic(d, parsed.data.topic, parsed.data.message, logger);
    return;
  }
  const parsed = NotifyMessageSchema.safeParse(message);
  if (!parsed.success) {
    // The same bounded {path, message} list a REST client gets: never the values.
    const { details } = validationFailure(parsed.error.issues, 'notify message');
    logger.log('warn', 'notify message dropped: not {userId, event}', { ...details });
    return;
  }
  await d.publisher.publish(parsed.data.userId, parsed.data.event);
}

async function publishAll(event: SnsEvent, d: NotifyDeps): Promise<void> {
  const transient: unknown[] = [];
  for (const record of event.Records) {
    const logger = d.log.child({ snsMessageId: record.Sns.MessageId });
    try {
      await publishOne(parseJson(record.Sns.Message), d, logger);
    } catch (error) {
      logger.log('error', 'notify message not published', { error });
      if (isRetryable(error)) transient.push(error);
    }
  }
  if (transient.length > 0) {
    throw new AggregateError(transient, `${transient.length} notify message(s) failed transiently; retrying`);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const handler = makeSnsNotifyHandler(() => ({
  ...getBaseDeps(),
  ...getPublishingDeps(),
  ...getTopicStoreDeps(),
  ...getTopicPublishDeps(),
}));
