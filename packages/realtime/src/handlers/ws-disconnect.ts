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
 * Builds the `$disconnect` handler: deletes the connection item, then the connection's
 * shared-topic subscriptions (found on the `byConnection` GSI), each retried a few times on a
 * retryable failure. The item goes first: it is what the publisher reads, and topic cleanup must
 * never hold it back. AWS calls `$disconnect` only best-effort, so a failure that persists is
 * logged, not thrown: TTL and the publisher's and fan-out's 410 handling are the real cleanup.
 * Deleting twice is harmless.
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
    const retry = { policy: backoff, sleep, random, retryable: isRetryable };
    let attempts = 0;
    try {
      await withRetries(() => {
        attempts++;
        return connections.delete(connectionId);
      }, retry);
      logger.log('info', 'connection deleted', attempts > 1 ? { attempts } : {});
    } catch (error) {
      logger.log('warn', 'connection not deleted; TTL will remove it', { error, attempts });
    }
    try {
      const topics = await withRetries(() => topicSubscriptions.removeConnection(connectionId), retry);
      if (topics > 0) logger.log('info', 'topic subscriptions deleted', { topics });
    } catch (error) {
      logger.log('warn', 'topic subscriptions not deleted; TTL and the fan-out will remove them', { error });
    }
    return { statusCode: 200 };
  };
}

export const handler = makeWsDisconnectHandler(() => ({
  ...getBaseDeps(),
  ...getStoreDeps(),
  ...getTopicStoreDeps(),
}));
