import { type DepsProvider, getDeps } from '../compose.ts';
import type { WsMessageEvent, WsResponse } from '../events.ts';

/**
 * Builds the `$disconnect` handler: deletes the connection item. AWS calls `$disconnect` only
 * best-effort, so a failure here is logged, not retried: TTL and the publisher's 410 handling
 * are the real cleanup. Deleting twice is harmless.
 */
export function makeWsDisconnectHandler(deps: DepsProvider<'connections' | 'log'>) {
  return async (event: WsMessageEvent): Promise<WsResponse> => {
    const { connections, log } = deps();
    const { connectionId, requestId } = event.requestContext;
    const logger = log.child({ requestId, connectionId });
    try {
      await connections.delete(connectionId);
      logger.log('info', 'connection deleted');
    } catch (error) {
      logger.log('warn', 'connection not deleted; TTL will remove it', { error });
    }
    return { statusCode: 200 };
  };
}

export const handler = makeWsDisconnectHandler(getDeps);
