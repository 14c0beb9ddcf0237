import type { IncomingMessage, ServerResponse } from 'node:http';
import { manageConnectionsRequest } from '../iam/actions.ts';
import type { IamCheck } from '../iam/authority.ts';
import { signedCaller } from '../iam/caller.ts';
import { decodeSegment, readBody, sendJson } from './http.ts';
import type { GatewayLog } from './types.ts';
import type { WsGateway } from './websocket.ts';

export interface ManagementContext {
  readonly ws: WsGateway;
  /** The WebSocket API's id and stage: the `execute-api` ARN a call is authorized on. */
  readonly apiId: string;
  readonly stage: string;
  /** Authorizes `execute-api:ManageConnections` for the signer; refused with 403 `ForbiddenException`. */
  readonly iam?: IamCheck;
  readonly maxMessageBytes: number;
  readonly log: GatewayLog;
  /**
   * Log one `debug` line per call (`npm run dev -- --verbose`). Off, a call builds no log entry:
   * a fan-out is one call per delivery, and the gateway's CPU per call is what a benchmark of
   * the publisher measures beside it. Failures are logged either way.
   * @default false
   */
  readonly logRequests?: boolean;
}

const NO_QUERY = new URLSearchParams();

/**
 * The raw (still percent-encoded) path and the query of a request target. The SDK and the
 * publisher send origin-form targets (`/v1/@connections/abc%3D`), split here without a `URL`
 * object (profiled: ~2 µs of the ~25 µs of user CPU a POST costs the listener); any other form
 * goes through `URL`.
 */
function target(url: string): { path: string; query: URLSearchParams } {
  if (!url.startsWith('/')) {
    const parsed = new URL(url, 'http://localhost');
    return { path: parsed.pathname, query: parsed.searchParams };
  }
  const q = url.indexOf('?');
  return q === -1
    ? { path: url, query: NO_QUERY }
    : { path: url.slice(0, q), query: new URLSearchParams(url.slice(q + 1)) };
}

/**
 * An AWS error as the SDK's rest-json deserializer reads it: the type from the
 * `x-amzn-errortype` header, the text from `message` in the body.
 */
function awsError(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { message }, { 'x-amzn-errortype': type });
}

/**
 * The `@connections` Management API (`POST` send, `GET` info, `DELETE` disconnect) on the
 * WebSocket server's HTTP listener, at `/<stage>/@connections/{connectionId}` — the paths
 * `@aws-sdk/client-apigatewaymanagementapi` calls when its `endpoint` is `http://host:port/<stage>`.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html
 */
export function createManagementListener(
  ctx: ManagementContext,
): (req: IncomingMessage, res: ServerResponse) => void {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const { path: rawPath, query } = target(req.url ?? '/');
    // Match on the raw path: the id is URL-encoded by the SDK and may contain an encoded `/`.
    const match = /^\/([^/]+)\/(?:@|%40)connections\/([^/]+)$/.exec(rawPath);
    if (!match || decodeSegment(match[1] as string) !== ctx.stage) {
      awsError(res, 404, 'NotFoundException', `No such resource: ${method} ${rawPath}`);
      return;
    }
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(match[2] as string);
    } catch {
      awsError(res, 400, 'BadRequestException', 'Invalid connection id encoding.');
      return;
    }
    // Real calls are SigV4-signed. Signatures are not verified locally, but an unsigned request
    // is refused the way API Gateway refuses it, so a publisher without credentials fails here too.
    if (!req.headers.authorization) {
      awsError(res, 403, 'ForbiddenException', 'Missing Authentication Token');
      return;
    }
    if (method === 'POST' || method === 'GET' || method === 'DELETE') {
      const refusal = ctx.iam?.authorize(signedCaller(req.headers, query), [
        manageConnectionsRequest(ctx.apiId, ctx.stage, method, connectionId),
      ]);
      if (refusal) {
        awsError(res, 403, 'ForbiddenException', refusal.message);
        return;
      }
    }

    switch (method) {
      case 'POST': {
        const read = await readBody(req, ctx.maxMessageBytes);
        if (!read.ok) {
          awsError(res, 413, 'PayloadTooLargeException', `Message exceeds ${ctx.maxMessageBytes} bytes.`);
          return;
        }
        const outcome = await ctx.ws.post(connectionId, read.body);
        if (outcome === 'gone') {
          awsError(res, 410, 'GoneException', `Connection ${connectionId} is gone.`);
          return;
        }
        res.writeHead(200, { 'content-length': '0' });
        res.end();
        return;
      }
      case 'GET': {
        const info = ctx.ws.info(connectionId);
        if (!info) {
          awsError(res, 410, 'GoneException', `Connection ${connectionId} is gone.`);
          return;
        }
        sendJson(res, 200, info);
        return;
      }
      case 'DELETE': {
        if (!ctx.ws.disconnect(connectionId)) {
          awsError(res, 410, 'GoneException', `Connection ${connectionId} is gone.`);
          return;
        }
        res.writeHead(204);
        res.end();
        return;
      }
      default:
        awsError(res, 404, 'NotFoundException', `No such resource: ${method} ${rawPath}`);
    }
  };

  return (req, res) => {
    if (ctx.logRequests) {
      const started = Date.now();
      res.on('finish', () =>
        ctx.log({
          level: 'debug',
          msg: '@connections request',
          method: req.method,
          path: req.url,
          status: res.statusCode,
          latencyMs: Date.now() - started,
        }),
      );
    }
    handle(req, res).catch((err: unknown) => {
      ctx.log({ level: 'error', msg: 'management api failure', error: String(err) });
      if (!res.headersSent) awsError(res, 500, 'InternalServerErrorException', 'Internal server error');
      else res.destroy();
    });
  };
}
