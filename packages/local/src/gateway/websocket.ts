import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ORDERLY_CLOSE_CODES } from '@herald/protocol';
import type { RawData } from 'ws';
import { WebSocket, WebSocketServer } from 'ws';
import { decodeSegment, formatRequestTime, headerMaps, queryMaps, sourceIpOf } from './http.ts';
import { evaluateAuthorizerResult } from './policy.ts';
import type { GatewayLog, GatewayWsApi, InvokeHandler } from './types.ts';

/**
 * An id shaped like API Gateway's (`L0SM9cOFvHcCIhw=`): 11 bytes in base64, so it always ends in
 * `=` and may hold `+` and `/` — exactly the characters that break a publisher that forgets to
 * URL-encode the id in the `@connections/{id}` path.
 */
export function newConnectionId(): string {
  return randomBytes(11).toString('base64');
}

export interface ConnectionInfo {
  readonly connectedAt: string;
  readonly lastActiveAt: string;
  readonly identity: { readonly sourceIp: string; readonly userAgent: string };
}

export type PostOutcome = 'sent' | 'gone';

export interface WsGateway {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  post(connectionId: string, data: Buffer): Promise<PostOutcome>;
  info(connectionId: string): ConnectionInfo | undefined;
  /** Closes the connection as `DeleteConnection` does; false if it is not open. */
  disconnect(connectionId: string): boolean;
  ids(): string[];
  close(): Promise<void>;
}

export interface WsContext {
  readonly routes: GatewayWsApi;
  readonly invoke: InvokeHandler;
  readonly stage: string;
  readonly apiId: string;
  readonly accountId: string;
  readonly region: string;
  readonly maxMessageBytes: number;
  readonly idleTimeoutMs: number;
  readonly maxConnectionAgeMs: number;
  readonly newConnectionId: () => string;
  readonly log: GatewayLog;
  readonly track: <T>(work: Promise<T>) => Promise<T>;
}

interface Connection {
  readonly id: string;
  readonly socket: WebSocket;
  readonly connectedAt: number;
  lastActiveAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly domainName: string;
  readonly authorizer: Record<string, unknown>;
  readonly idleTimer: NodeJS.Timeout;
  readonly ageTimer: NodeJS.Timeout;
  /** Set when the gateway (not the client) ends the connection: what `$disconnect` reports. */
  serverClose?: { readonly code: number; readonly reason: string };
  readonly closed: Promise<void>;
}

/** Node refuses timer delays above 2^31-1 ms (it fires them after 1 ms instead). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How long `close()` waits for clients to answer the close frame before cutting the sockets. */
const CLOSE_GRACE_MS = 500;

function rejectUpgrade(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ message });
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && (typeof value === 'string' || typeof value === 'number')) {
      return String(value);
    }
  }
  return undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

export function createWsGateway(ctx: WsContext): WsGateway {
  const connections = new Map<string, Connection>();
  const pendingSockets = new Set<Duplex>();
  const routeHandlers = new Map(ctx.routes.routes.map((r) => [r.routeKey, r.target] as const));
  /** Subprotocol the `$connect` response echoed, per handshake, for `handleProtocols`. */
  const chosenProtocol = new WeakMap<IncomingMessage, string>();
  let closing = false;

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    // API Gateway does not negotiate permessage-deflate.
    perMessageDeflate: false,
    // ws closes with 1009 when a message exceeds this, as API Gateway does past its 128 KB quota.
    maxPayload: ctx.maxMessageBytes,
    // Browsers fail the handshake unless the server echoes one of the subprotocols they offered.
    // API Gateway echoes only what the `$connect` response put in `Sec-WebSocket-Protocol`;
    // with none, the upgrade succeeds without the header and a browser drops the socket.
    handleProtocols: (_offered, req) => chosenProtocol.get(req) ?? false,
  });

  const baseContext = (conn: {
    id: string;
    connectedAt: number;
    domainName: string;
    sourceIp: string;
    userAgent: string;
  }) => {
    const now = Date.now();
    return {
      extendedRequestId: randomBytes(12).toString('base64'),
      requestTime: formatRequestTime(now),
      messageDirection: 'IN',
      stage: ctx.stage,
      connectedAt: conn.connectedAt,
      requestTimeEpoch: now,
      identity: { sourceIp: conn.sourceIp, userAgent: conn.userAgent },
      requestId: randomUUID(),
      domainName: conn.domainName,
      connectionId: conn.id,
      apiId: ctx.apiId,
    };
  };

  const closeByServer = (conn: Connection, code: number, reason: string): void => {
    conn.serverClose ??= { code, reason };
    if (conn.socket.readyState === WebSocket.OPEN) conn.socket.close(code, reason);
  };

  const fireDisconnect = (
    conn: Pick<Connection, 'id' | 'connectedAt' | 'domainName' | 'sourceIp' | 'userAgent' | 'authorizer'>,
    code: number,
    reason: string,
  ): void => {
    const handler = routeHandlers.get('$disconnect');
    if (!handler) return;
    const event = {
      headers: { Host: conn.domainName },
      multiValueHeaders: { Host: [conn.domainName] },
      requestContext: {
        routeKey: '$disconnect',
        eventType: 'DISCONNECT',
        disconnectStatusCode: code,
        disconnectReason: reason,
        ...baseContext(conn),
        authorizer: conn.authorizer,
      },
      isBase64Encoded: false,
    };
    // AWS calls `$disconnect` best effort; its result is ignored and its errors reach nobody.
    ctx.track(ctx.invoke(handler, event)).catch((err: unknown) =>
      ctx.log({
        level: 'error',
        msg: '$disconnect handler failed',
        connectionId: conn.id,
        target: handler,
        error: errorText(err),
      }),
    );
  };

  const sendIfOpen = (conn: Connection, text: string): void => {
    if (conn.socket.readyState === WebSocket.OPEN) conn.socket.send(text, { binary: false });
  };

  /** `$request.body.action`: a JSON body whose `action` names a custom route; else `$default`. */
  const selectRouteKey = (body: string): string => {
    try {
      const parsed: unknown = JSON.parse(body);
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        const action = (parsed as Record<string, unknown>).action;
        if (typeof action === 'string' && !action.startsWith('$') && routeHandlers.has(action)) return action;
      }
    } catch {
      // Not JSON: API Gateway cannot evaluate the expression and falls back to `$default`.
    }
    return '$default';
  };

  const onMessage = async (conn: Connection, body: string): Promise<void> => {
    const routeKey = selectRouteKey(body);
    const handler = routeHandlers.get(routeKey);
    const requestContext = {
      routeKey,
      messageId: newConnectionId(),
      eventType: 'MESSAGE',
      ...baseContext(conn),
      authorizer: conn.authorizer,
    };
    const frame = (message: string) =>
      JSON.stringify({ message, connectionId: conn.id, requestId: requestContext.requestId });
    if (!handler) {
      // No matching route and no `$default`: API Gateway answers this frame.
      sendIfOpen(conn, frame('Forbidden'));
      return;
    }
    try {
      const result = await ctx.track(ctx.invoke(handler, { requestContext, body, isBase64Encoded: false }));
      // Difference from AWS: a result reaches the client only on routes with a route response
      // (two-way); the route table has no such flag, so locally every route is two-way.
      if (typeof result === 'object' && result !== null) {
        const out = (result as Record<string, unknown>).body;
        if (typeof out === 'string') sendIfOpen(conn, out);
      }
    } catch (err) {
      ctx.log({
        level: 'error',
        msg: 'message handler failed',
        connectionId: conn.id,
        routeKey,
        requestId: requestContext.requestId,
        target: handler,
        error: errorText(err),
      });
      sendIfOpen(conn, frame('Internal server error'));
    }
  };

  const register = (
    socket: WebSocket,
    init: {
      id: string;
      connectedAt: number;
      sourceIp: string;
      userAgent: string;
      domainName: string;
      authorizer: Record<string, unknown>;
    },
  ): void => {
    let markClosed: () => void = () => {};
    const closed = new Promise<void>((resolve) => {
      markClosed = resolve;
    });
    // Both limits end the connection with 1001 "Going away", as API Gateway does (clients
    // reconnect after it without reporting an error). Timers are
    // unref'd: an idle connection alone must not keep a test process alive.
    const idleTimer = setTimeout(
      () => {
        ctx.log({ level: 'info', msg: 'idle timeout', connectionId: init.id });
        closeByServer(conn, ORDERLY_CLOSE_CODES.GOING_AWAY, 'Going away');
      },
      Math.min(ctx.idleTimeoutMs, MAX_TIMER_MS),
    ).unref();
    const ageTimer = setTimeout(
      () => {
        ctx.log({ level: 'info', msg: 'maximum connection age reached', connectionId: init.id });
        closeByServer(conn, ORDERLY_CLOSE_CODES.GOING_AWAY, 'Going away');
      },
      Math.min(ctx.maxConnectionAgeMs, MAX_TIMER_MS),
    ).unref();
    const conn: Connection = { ...init, socket, lastActiveAt: init.connectedAt, idleTimer, ageTimer, closed };
    connections.set(conn.id, conn);

    socket.on('message', (data, isBinary) => {
      // Frames that arrive after the gateway started closing reach no route.
      if (socket.readyState !== WebSocket.OPEN) return;
      conn.lastActiveAt = Date.now();
      // Only client frames count as activity for API Gateway's idle timeout.
      conn.idleTimer.refresh();
      if (isBinary) {
        // https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-develop-binary-media-types.html
        closeByServer(conn, 1003, 'Binary frames are not supported');
        return;
      }
      void onMessage(conn, rawToString(data));
    });
    socket.on('error', (err: Error & { code?: string }) => {
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        // ws has already sent close 1009; record it for `$disconnect`.
        conn.serverClose ??= { code: 1009, reason: 'Message too big' };
      }
      ctx.log({ level: 'warn', msg: 'websocket error', connectionId: conn.id, error: err.message });
    });
    socket.on('close', (code, reason) => {
      clearTimeout(conn.idleTimer);
      clearTimeout(conn.ageTimer);
      connections.delete(conn.id);
      const status = conn.serverClose ?? { code, reason: reason.toString('utf8') };
      ctx.log({ level: 'info', msg: 'disconnected', connectionId: conn.id, code: status.code });
      markClosed();
      fireDisconnect(conn, status.code, status.reason);
    });
    ctx.log({ level: 'info', msg: 'connected', connectionId: conn.id });
  };

  const upgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/\/+$/, '');
    if (path !== '' && decodeSegment(path) !== `/${ctx.stage}`) {
      rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (closing) {
      rejectUpgrade(socket, 503, 'Service Unavailable');
      return;
    }
    if (req.headers.upgrade?.toLowerCase() !== 'websocket' || !req.headers['sec-websocket-key']) {
      rejectUpgrade(socket, 400, 'Bad Request');
      return;
    }

    let id = ctx.newConnectionId();
    for (let i = 0; connections.has(id) && i < 10; i++) id = ctx.newConnectionId();
    const connectedAt = Date.now();
    const sourceIp = sourceIpOf(req);
    const userAgent = req.headers['user-agent'] ?? '';
    const domainName = req.headers.host ?? 'localhost';
    const { headers, multiValueHeaders } = headerMaps(req.rawHeaders);
    const query = queryMaps(url.searchParams);
    const identity = { id, connectedAt, domainName, sourceIp, userAgent };
    const methodArn = `arn:aws:execute-api:${ctx.region}:${ctx.accountId}:${ctx.apiId}/${ctx.stage}/$connect`;

    // 1. The REQUEST authorizer: an unauthenticated upgrade never reaches `$connect`.
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-lambda-auth.html
    const authorizerStarted = Date.now();
    let authorizerResult: unknown;
    try {
      authorizerResult = await ctx.track(
        ctx.invoke(ctx.routes.authorizer, {
          type: 'REQUEST',
          methodArn,
          headers,
          multiValueHeaders,
          ...query,
          stageVariables: {},
          requestContext: { routeKey: '$connect', eventType: 'CONNECT', ...baseContext(identity) },
        }),
      );
    } catch (err) {
      // An authorizer that fails with exactly "Unauthorized" is API Gateway's way to say 401.
      if (err instanceof Error && err.message === 'Unauthorized') {
        ctx.log({ level: 'info', msg: 'connect refused by authorizer', connectionId: id, status: 401 });
        rejectUpgrade(socket, 401, 'Unauthorized');
      } else {
        ctx.log({ level: 'error', msg: 'authorizer failed', connectionId: id, error: errorText(err) });
        rejectUpgrade(socket, 500, 'Internal server error');
      }
      return;
    }
    const outcome = evaluateAuthorizerResult(authorizerResult, methodArn);
    if (outcome.kind === 'invalid') {
      ctx.log({
        level: 'error',
        msg: 'authorizer returned an invalid result',
        connectionId: id,
        reason: outcome.reason,
      });
      rejectUpgrade(socket, 500, 'Internal server error');
      return;
    }
    if (outcome.kind === 'deny') {
      ctx.log({ level: 'info', msg: 'connect denied by policy', connectionId: id, status: 403 });
      rejectUpgrade(socket, 403, 'Forbidden');
      return;
    }
    const authorizer: Record<string, unknown> = {
      ...outcome.context,
      principalId: outcome.principalId,
      integrationLatency: Date.now() - authorizerStarted,
    };

    // 2. `$connect`: a non-2xx status refuses the handshake with that status.
    const connectHandler = routeHandlers.get('$connect');
    if (connectHandler) {
      let result: unknown;
      try {
        result = await ctx.track(
          ctx.invoke(connectHandler, {
            headers,
            multiValueHeaders,
            // API Gateway omits the query maps when the URL has no query string.
            ...(query.queryStringParameters ? query : {}),
            requestContext: {
              routeKey: '$connect',
              eventType: 'CONNECT',
              ...baseContext(identity),
              authorizer,
            },
            isBase64Encoded: false,
          }),
        );
      } catch (err) {
        ctx.log({ level: 'error', msg: '$connect handler failed', connectionId: id, error: errorText(err) });
        rejectUpgrade(socket, 500, 'Internal server error');
        return;
      }
      const status =
        typeof result === 'object' && result !== null
          ? (result as Record<string, unknown>).statusCode
          : undefined;
      if (typeof status === 'number' && (status < 200 || status > 299)) {
        ctx.log({ level: 'info', msg: 'connect refused by $connect', connectionId: id, status });
        rejectUpgrade(socket, status, STATUS_CODES[status] ?? 'Refused');
        return;
      }
      const offered = req.headers['sec-websocket-protocol'];
      const echoed =
        typeof result === 'object' && result !== null
          ? headerValue((result as Record<string, unknown>).headers, 'sec-websocket-protocol')?.trim()
          : undefined;
      if (echoed) chosenProtocol.set(req, echoed);
      else if (offered) {
        ctx.log({
          level: 'warn',
          msg: 'client offered subprotocols but $connect echoed none; browsers will drop this socket',
          connectionId: id,
        });
      }
    }

    // The client may have left, or the gateway may be closing, while the handlers ran. Once
    // `$connect` has admitted the connection, API Gateway counts it as established (the handler
    // has typically stored it), so its end is reported to `$disconnect` like any other; without
    // that, every client that gave up mid-handshake would leave a stale connection item behind.
    // A client that left may not have destroyed the socket yet, only ended it (a FIN): `ws`
    // then drops the upgrade without a word (`completeUpgrade` checks readable/writable), so the
    // same check is made here, where the connection's end can still be reported.
    const gone = socket.destroyed || !socket.readable || !socket.writable;
    if (gone || closing) {
      ctx.log({ level: 'info', msg: 'client left during $connect', connectionId: id });
      if (!gone) rejectUpgrade(socket, 503, 'Service Unavailable');
      else socket.destroy();
      if (connectHandler) {
        fireDisconnect(
          { id, connectedAt, domainName, sourceIp, userAgent, authorizer },
          1006,
          'Client left before the connection was established',
        );
      }
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) =>
      register(ws, { id, connectedAt, sourceIp, userAgent, domainName, authorizer }),
    );
  };

  return {
    handleUpgrade(req, socket, head) {
      pendingSockets.add(socket);
      const onError = (err: Error): void =>
        ctx.log({ level: 'warn', msg: 'socket error during handshake', error: err.message });
      socket.on('error', onError);
      upgrade(req, socket, head)
        .catch((err: unknown) => {
          ctx.log({ level: 'error', msg: 'websocket gateway failure', error: errorText(err) });
          rejectUpgrade(socket, 500, 'Internal server error');
        })
        .finally(() => {
          pendingSockets.delete(socket);
          socket.off('error', onError);
        });
    },

    async post(connectionId, data) {
      const conn = connections.get(connectionId);
      if (!conn || conn.socket.readyState !== WebSocket.OPEN) return 'gone';
      return new Promise<PostOutcome>((resolve) => {
        // `@connections` data goes out as one text frame.
        conn.socket.send(data, { binary: false }, (err) => resolve(err ? 'gone' : 'sent'));
      });
    },

    info(connectionId) {
      const conn = connections.get(connectionId);
      if (!conn || conn.socket.readyState !== WebSocket.OPEN) return undefined;
      return {
        connectedAt: new Date(conn.connectedAt).toISOString(),
        lastActiveAt: new Date(conn.lastActiveAt).toISOString(),
        identity: { sourceIp: conn.sourceIp, userAgent: conn.userAgent },
      };
    },

    disconnect(connectionId) {
      const conn = connections.get(connectionId);
      if (!conn || conn.socket.readyState !== WebSocket.OPEN) return false;
      closeByServer(conn, ORDERLY_CLOSE_CODES.NORMAL, 'Connection deleted');
      return true;
    },

    ids() {
      return [...connections.values()].filter((c) => c.socket.readyState === WebSocket.OPEN).map((c) => c.id);
    },

    async close() {
      closing = true;
      for (const socket of pendingSockets) socket.destroy();
      const open = [...connections.values()];
      for (const conn of open) closeByServer(conn, ORDERLY_CLOSE_CODES.GOING_AWAY, 'Going away');
      // Give clients a moment to answer the close frame, then cut whoever did not.
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(open.map((c) => c.closed)),
        new Promise<void>((resolve) => {
          grace = setTimeout(resolve, CLOSE_GRACE_MS);
        }),
      ]);
      clearTimeout(grace);
      for (const conn of open) conn.socket.terminate();
      await Promise.all(open.map((c) => c.closed));
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
