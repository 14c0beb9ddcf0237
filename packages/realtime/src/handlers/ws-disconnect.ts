import { type BackoffPolicy, delay, isRetryable, withRetries } from '@herald/runtime';
import { getBaseDeps } from '../compose/base.ts';
import { getStoreDeps } from '../compose/stores.ts';
import { getTopicStoreDeps } from '../compose/topics.ts';
import type { DepsProvider } from '../compose.ts';
import type { WsMessageEvent, WsResponse } from '../events.ts';

/**
 * Retries of the delete. An item `$disconnect` misses stays until a publish to its user meets
 * the 410 or the TTL (hours) expires, so a transient failure — throttling when many clients drop
 * at once, a reset connection — is worth a few more tries within the invocation.
 */
export const DISCONNECT_DELETE_BACKOFF: BackoffPolicy = {
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 1000,
};

/** Options of {@link makeWsDisconnectHandler}; tests pass a sleep that does not wait. */
export interface WsDisconnectOptions {
  /** @default DISCONNECT_DELETE_BACKOFF */
  readonly backoff?: BackoffPolicy;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
}

/**
 * Builds the `$disconnect` handler: deletes the connection's shared-topic subscriptions (found on
 * the `byConnection` GSI) and then its item, retrying a retryable failure a few times. AWS calls
 * `$disconnect` only best-effort, so a failure that persists is logged, not thrown: TTL and the
 * publisher's and fan-out's 410 handling are the real cleanup. Deleting twice is harmless.
 */
export function makeWsDisconnectHandler(
  deps: DepsProvider<'connections' | 'topicSubscriptions' | 'log'>,
  options: WsDisconnectOptions = {},
) {
  const { backoff = DISCONNECT_DELETE_BACKOFF, sleep = delay, random = Math.random } = options;
  return async (event: WsMessageEvent): Promise<WsResponse> => {
    const { connections, topicSubscriptions, log } = deps();
    const { connectionId, requestId } = event.requestContext;
    const logger = log.child({ requestId, connectionId });
    let attempts = 0;
    try {
      await withRetries(
        async () => {
          attempts++;
          await topicSubscriptions.removeConnection(connectionId);
          await connections.delete(connectionId);
        },
        { policy: backoff, sleep, random, retryable: isRetryable },
      );
      logger.log('info', 'connection deleted', attempts > 1 ? { attempts } : {});
    } catch (error) {
      logger.log('warn', 'connection not deleted; TTL will remove it', { error, attempts });
    }
    return { statusCode: 200 };
  };
}

export const handler = makeWsDisconnectHandler(() => ({
  ...getBaseDeps(),
  ...getStoreDeps(),
  ...getTopicStoreDeps(),
}));
