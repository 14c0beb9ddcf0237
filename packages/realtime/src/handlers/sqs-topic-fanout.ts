import { ROUTES } from '@herald/protocol';
import { processSqsBatch, type SqsEvent, validationFailure, type WorkerContext } from '@herald/runtime';
import { getBaseDeps } from '../compose/base.ts';
import { getPosterDeps } from '../compose/poster.ts';
import { getStoreDeps } from '../compose/stores.ts';
import { getTopicStoreDeps } from '../compose/topics.ts';
import type { DepsProvider } from '../compose.ts';
import { deliverShard, FanoutShardSchema } from '../core/topic-fanout.ts';

const QUEUE = ROUTES.queues.find((q) => q.id === 'TopicFanoutQueue');
/** Time kept back from the Lambda timeout to report the batch. */
const SAFETY_MARGIN_MS = 5000;

/**
 * Builds the fan-out worker: each SQS message is one shard (`{event, connectionIds}`) of a topic
 * publish; its event is posted to each connection. A shard whose posts still fail transiently
 * after retries is reported in `batchItemFailures` and redelivered whole (clients drop repeats by
 * `seq`); gone connections are removed from both tables; a malformed message is logged (what is
 * wrong, never its content) and dropped.
 */
export function makeSqsTopicFanoutHandler(
  deps: DepsProvider<
    'poster' | 'connections' | 'topicSubscriptions' | 'publishConcurrency' | 'clock' | 'log' | 'metrics'
  >,
) {
  return async (event: SqsEvent, context?: WorkerContext) => {
    const d = deps();
    const batch = {
      ...d,
      maxReceives: QUEUE?.maxReceiveCount ?? 1,
      workerTimeoutMs: (QUEUE?.timeoutSeconds ?? 60) * 1000,
    };
    return processSqsBatch(event, context, batch, SAFETY_MARGIN_MS, async (body, _delivery, log) => {
      const shard = FanoutShardSchema.safeParse(parseJson(body));
      if (!shard.success) {
        const { details } = validationFailure(shard.error.issues, 'fan-out shard');
        log.log('error', 'fan-out shard dropped: malformed', { ...details });
        return { retry: false };
      }
      const { topic, seq } = shard.data.event;
      const outcome = await deliverShard({ ...d, concurrency: d.publishConcurrency }, shard.data, log);
      log.log('info', 'fan-out shard delivered', { topic, seq, ...outcome });
      return { retry: outcome.retryable > 0 };
    });
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const handler = makeSqsTopicFanoutHandler(() => ({
  ...getBaseDeps(),
  ...getStoreDeps(),
  ...getPosterDeps(),
  ...getTopicStoreDeps(),
}));
