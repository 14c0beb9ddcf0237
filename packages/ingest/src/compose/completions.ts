import { SQSClient } from '@aws-sdk/client-sqs';
import { ROUTES } from '@herald/protocol';
import { SqsCompletionQueue } from '../adapters/sqs-completion-queue.ts';
import { type CompletionQueueConfig, loadCompletionQueueConfig } from '../config.ts';
import type { CompletionQueue } from '../ports.ts';
import { type BaseDeps, getBaseDeps } from './base.ts';

// Multipart completions leave the request path through `UploadCompletionQueue`. The route that
// sends to it is the only function with an SQS client (built here, imported by its entry file
// alone); the worker that drains it needs only the base deps, with its own queue's limits.

const completionQueue = ROUTES.queues.find(
  (q) => q.handler.package === 'ingest' && q.handler.name === 'sqs-complete-upload',
);

/**
 * The base deps plus the completion queue: what `POST /uploads/{jobId}/complete` uses.
 *
 * @example
 * const { completions } = getCompletionRouteDeps();
 */
export type CompletionRouteDeps = BaseDeps & { readonly completions: CompletionQueue };

/**
 * Adds the completion queue (and its SQS client) to built base deps. The only place that builds it.
 *
 * @example
 * const deps = buildCompletionRouteDeps(getBaseDeps(), loadCompletionQueueConfig(process.env));
 */
export function buildCompletionRouteDeps(base: BaseDeps, config: CompletionQueueConfig): CompletionRouteDeps {
  // `endpoint` is undefined on AWS and the local stack's SendMessage server locally.
  const sqs = new SQSClient({ region: config.region, endpoint: config.sqsEndpoint });
  return {
    ...base,
    completions: new SqsCompletionQueue({ client: sqs, queueUrl: config.queueUrl }),
    close: async () => {
      sqs.destroy();
      await base.close?.();
    },
  };
}

let routeDeps: CompletionRouteDeps | undefined;

/**
 * The container's {@link CompletionRouteDeps}, built on the first call (on `getBaseDeps`) and
 * reused by warm invocations.
 *
 * @example
 * export const handler = makeHttpCompleteUploadHandler(getCompletionRouteDeps);
 */
export function getCompletionRouteDeps(): CompletionRouteDeps {
  routeDeps ??= buildCompletionRouteDeps(getBaseDeps(), loadCompletionQueueConfig(process.env));
  return routeDeps;
}

let workerDeps: BaseDeps | undefined;

/**
 * The completion worker's deps: the base deps with `UploadCompletionQueue`'s receive count and
 * timeout (from the route table) instead of the ingest queue's.
 *
 * @example
 * export const handler = makeSqsCompleteUploadHandler(getCompletionWorkerDeps);
 */
export function getCompletionWorkerDeps(): BaseDeps {
  workerDeps ??= {
    ...getBaseDeps(),
    maxReceives: completionQueue?.maxReceiveCount ?? 3,
    workerTimeoutMs: (completionQueue?.timeoutSeconds ?? 900) * 1000,
  };
  return workerDeps;
}
