import { encodeServerFrame } from '@herald/protocol';
import { type DepsProvider, getDeps } from '../compose.ts';
import { replyToClientFrame } from '../core/client-frames.ts';
import type { WsMessageEvent, WsResponse } from '../events.ts';

/**
 * Builds the `$default` handler: answers each client frame with one server frame in the
 * response body (API Gateway sends it back to the sender when the route has a route response).
 */
export function makeWsDefaultHandler(deps: DepsProvider<'clock' | 'log'>) {
  return async (event: WsMessageEvent): Promise<WsResponse> => {
    const { clock, log } = deps();
    const body = event.body ?? '';
    const raw = event.isBase64Encoded ? new Uint8Array(Buffer.from(body, 'base64')) : body;
    const frame = replyToClientFrame(raw, clock.now());
    if (frame.type === 'error') {
      const { connectionId, requestId } = event.requestContext;
      log.log('info', 'client frame refused', { requestId, connectionId, code: frame.error.code });
    }
    return { statusCode: 200, body: encodeServerFrame(frame) };
  };
}

export const handler = makeWsDefaultHandler(getDeps);
