import { NotifyMessageSchema } from '@herald/protocol';
import { isRetryable, type Logger, validationFailure } from '@herald/runtime';
import { getBaseDeps } from '../compose/base.ts';
import { getPublishingDeps } from '../compose/publisher.ts';
import type { DepsProvider } from '../compose.ts';
import type { Publisher } from '../core/publisher.ts';
import type { SnsEvent } from '../events.ts';

/**
 * Builds the notify-topic subscriber: each SNS record's `Message` is JSON `{userId, event}`
 * (`NotifyMessageSchema`), handed to the publisher. A message that is not valid is logged
 * (its SNS message id and what is wrong, never its content) and dropped: retrying cannot fix
 * it. A transient failure (a table or `@connections` throttled) fails the invocation, so
 * Lambda's asynchronous retries (two, then the on-failure destination) try again; a retry may
 * deliver an event twice over WebSocket, which clients deduplicate on `seq`.
 */
export function makeSnsNotifyHandler(deps: DepsProvider<'publisher' | 'log' | 'metrics'>) {
  return async (event: SnsEvent): Promise<void> => {
    const { publisher, log, metrics } = deps();
    try {
      await publishAll(event, publisher, log);
    } finally {
      metrics.flush();
    }
  };
}

async function publishAll(event: SnsEvent, publisher: Publisher, log: Logger): Promise<void> {
  const transient: unknown[] = [];
  for (const record of event.Records) {
    const logger = log.child({ snsMessageId: record.Sns.MessageId });
    const parsed = NotifyMessageSchema.safeParse(parseJson(record.Sns.Message));
    if (!parsed.success) {
      // The same bounded {path, message} list a REST client gets: never the values.
      const { details } = validationFailure(parsed.error.issues, 'notify message');
      logger.log('warn', 'notify message dropped: not {userId, event}', { ...details });
      continue;
    }
    try {
      await publisher.publish(parsed.data.userId, parsed.data.event);
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

export const handler = makeSnsNotifyHandler(() => ({ ...getBaseDeps(), ...getPublishingDeps() }));
