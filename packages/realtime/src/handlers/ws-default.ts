import { encodeServerFrame } from '@herald/protocol';
import { getBaseDeps } from '../compose/base.ts';
import { getPosterDeps } from '../compose/poster.ts';
import { getStoreDeps } from '../compose/stores.ts';
import { getTopicStoreDeps } from '../compose/topics.ts';
import type { DepsProvider } from '../compose.ts';
import { respondToClientFrame } from '../core/client-frames.ts';
import { identityFromAuthorizerContext } from '../core/identity.ts';
import type { WsConnectEvent, WsResponse } from '../events.ts';

/** `$default` events carry the `$connect` authorizer's context, as `$connect` does. */
type WsDefaultEvent = WsConnectEvent & { readonly body?: string | null; readonly isBase64Encoded?: boolean };

/**
 * Builds the `$default` handler: `ping`, `subscribe` / `unsubscribe`, `resume` (of jobs, per-user
 * views and shared topics; topic grants are checked against the caller's groups). A direct answer
 * (`pong`, `subscribed`, `error`) goes back in the response body (API Gateway sends it to the
 * sender when the route has a route response); `resume` posts its replay and `resumed` through
 * `@connections` instead, so they arrive in order.
 */
export function makeWsDefaultHandler(
  deps: DepsProvider<
    | 'subscriptions'
    | 'eventLog'
    | 'poster'
    | 'clock'
    | 'log'
    | 'topicGrants'
    | 'topicSubscriptions'
    | 'topicEvents'
    | 'connectionTtlSeconds'
  >,
) {
  return async (event: WsDefaultEvent): Promise<WsResponse> => {
    const { clock, log, ...ports } = deps();
    const { connectionId, requestId, authorizer } = event.requestContext;
    const logger = log.child({ requestId, connectionId });
    const identity = identityFromAuthorizerContext(authorizer);
    if (identity === undefined) {
      logger.log('error', '$default without an authorizer identity (deployed without the authorizer?)');
      return { statusCode: 401 };
    }
    const body = event.body ?? '';
    const raw = event.isBase64Encoded ? new Uint8Array(Buffer.from(body, 'base64')) : body;
    const ctx = { connectionId, userId: identity.userId, groups: identity.groups, now: clock.now() };
    const { reply, action, failure } = await respondToClientFrame(raw, ctx, ports);
    if (failure !== undefined) logger.log('error', 'client frame failed', { action, error: failure });
    else if (reply?.type === 'error')
      logger.log('info', 'client frame refused', { action, code: reply.error.code });
    return reply === undefined ? { statusCode: 200 } : { statusCode: 200, body: encodeServerFrame(reply) };
  };
}

export const handler = makeWsDefaultHandler(() => ({
  ...getBaseDeps(),
  ...getStoreDeps(),
  ...getPosterDeps(),
  ...getTopicStoreDeps(),
}));
