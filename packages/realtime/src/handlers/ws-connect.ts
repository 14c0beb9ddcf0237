import { getBaseDeps } from '../compose/base.ts';
import { getStoreDeps } from '../compose/stores.ts';
import type { DepsProvider } from '../compose.ts';
import { newConnection } from '../core/connection.ts';
import { headerValue } from '../core/headers.ts';
import { identityFromAuthorizerContext } from '../core/identity.ts';
import { chooseSubprotocol } from '../core/subprotocol.ts';
import type { WsConnectEvent, WsResponse } from '../events.ts';

/** Builds the `$connect` handler: stores the connection and echoes `herald.v1` when offered. */
export function makeWsConnectHandler(
  deps: DepsProvider<'connections' | 'clock' | 'log' | 'connectionTtlSeconds'>,
) {
  return async (event: WsConnectEvent): Promise<WsResponse> => {
    const { connections, clock, log, connectionTtlSeconds } = deps();
    const { connectionId, requestId, authorizer } = event.requestContext;
    const logger = log.child({ requestId, connectionId });
    const identity = identityFromAuthorizerContext(authorizer);
    if (identity === undefined) {
      logger.log('error', '$connect without an authorizer identity (deployed without the authorizer?)');
      return { statusCode: 401 };
    }
    try {
      await connections.put(
        newConnection({ connectionId, identity, now: clock.now(), ttlSeconds: connectionTtlSeconds }),
      );
    } catch (error) {
      // A connection we cannot record would never receive events: refuse it so the client retries.
      logger.log('error', 'connection not stored', { userId: identity.userId, error });
      return { statusCode: 500 };
    }
    logger.log('info', 'connection stored', { userId: identity.userId });
    // Echo the subprotocol (never the token next to it), or browsers drop the socket.
    const subprotocol = chooseSubprotocol(headerValue(event, 'Sec-WebSocket-Protocol'));
    return subprotocol === undefined
      ? { statusCode: 200 }
      : { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': subprotocol } };
  };
}

export const handler = makeWsConnectHandler(() => ({ ...getBaseDeps(), ...getStoreDeps() }));
