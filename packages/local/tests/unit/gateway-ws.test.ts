import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { GatewayRoutes, LocalGateway, LocalGatewayOptions } from '../../src/gateway/index.ts';
import { createLocalGateway, newConnectionId } from '../../src/gateway/index.ts';

const routes: GatewayRoutes = {
  http: [],
  ws: {
    authorizer: 'ws-authorize',
    routes: [
      { routeKey: '$connect', target: 'ws-connect' },
      { routeKey: '$disconnect', target: 'ws-disconnect' },
      { routeKey: '$default', target: 'ws-default' },
      { routeKey: 'echo', target: 'ws-echo' },
      { routeKey: 'boom', target: 'ws-boom' },
    ],
  },
};

interface WsEvent {
  readonly requestContext: Record<string, unknown> & { connectionId: string; requestId: string };
  readonly queryStringParameters?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly methodArn?: string;
  readonly body?: string;
}

const allowPolicy = (resource: string) => ({
  principalId: 'alice',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: resource }],
  },
  context: { userId: 'alice-sub', tier: 3, beta: true },
});

// Test handlers standing in for the realtime Lambdas; `calls` records every event they get.
let calls: { name: string; event: WsEvent }[] = [];
let finishedDisconnects: string[] = [];
const handlers: Record<string, (event: WsEvent) => Promise<unknown>> = {
  'ws-authorize': async (event) => {
    const ticket = event.queryStringParameters?.ticket;
    const arnPrefix = (event.methodArn ?? '').split('/')[0];
    if (ticket === 'allow') return allowPolicy(`${arnPrefix}/*/$connect`);
    if (ticket === 'other-route') return allowPolicy(`${arnPrefix}/*/sendmessage`);
    if (ticket === 'deny') {
      return {
        principalId: 'mallory',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Deny', Action: 'execute-api:Invoke', Resource: event.methodArn }],
        },
      };
    }
    if (ticket === 'crash') throw new Error('tickets table unreachable');
    throw new Error('Unauthorized');
  },
  'ws-connect': async (event) => {
    const slowMs = Number(event.queryStringParameters?.slow ?? 0);
    if (slowMs > 0) await new Promise((resolve) => setTimeout(resolve, slowMs));
    if (event.queryStringParameters?.full === '1') return { statusCode: 429 };
    const offered = (
      event.headers?.['Sec-WebSocket-Protocol'] ??
      event.headers?.['sec-websocket-protocol'] ??
      ''
    )
      .split(',')
      .map((p) => p.trim());
    if (event.queryStringParameters?.echo === '0' || !offered.includes('herald.v1'))
      return { statusCode: 200 };
    return { statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'herald.v1' } };
  },
  'ws-disconnect': async (event) => {
    // Slow on purpose: `close()` must wait for in-flight $disconnect invocations.
    await new Promise((resolve) => setTimeout(resolve, 30));
    finishedDisconnects.push(event.requestContext.connectionId);
    return { statusCode: 200 };
  },
  'ws-default': async (event) => ({ statusCode: 200, body: `default:${event.body}` }),
  'ws-echo': async (event) => {
    const { text } = JSON.parse(event.body ?? '{}') as { text?: string };
    return { statusCode: 200, body: JSON.stringify({ route: event.requestContext.routeKey, text }) };
  },
  'ws-boom': async () => {
    throw new Error('handler bug');
  },
};

let gw: LocalGateway | undefined;
let sdk: ApiGatewayManagementApiClient | undefined;
let logs: Record<string, unknown>[] = [];
let nextIds: string[] = [];

async function start(overrides: Partial<LocalGatewayOptions> = {}): Promise<LocalGateway> {
  calls = [];
  finishedDisconnects = [];
  logs = [];
  gw = await createLocalGateway({
    routes,
    stage: 'test',
    invoke: async (target, event) => {
      calls.push({ name: target, event: event as WsEvent });
      const fn = handlers[target];
      if (!fn) throw new Error(`no test handler ${target}`);
      return fn(event as WsEvent);
    },
    verifyToken: async () => undefined,
    connectionIdFactory: () => nextIds.shift() ?? newConnectionId(),
    log: (entry) => logs.push(entry),
    ...overrides,
  });
  sdk = new ApiGatewayManagementApiClient({
    endpoint: gw.managementEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  return gw;
}

afterEach(async () => {
  sdk?.destroy();
  await gw?.close();
  gw = undefined;
  sdk = undefined;
  nextIds = [];
});

function eventsOf(name: string): WsEvent[] {
  return calls.filter((c) => c.name === name).map((c) => c.event);
}

function open(g: LocalGateway, query = 'ticket=allow', protocols?: string[]): Promise<WebSocket> {
  const ws = new WebSocket(`${g.wsUrl}/test?${query}`, protocols);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** The HTTP status a refused handshake answered with. */
function refusal(g: LocalGateway, query: string): Promise<number> {
  const ws = new WebSocket(`${g.wsUrl}?${query}`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('handshake unexpectedly succeeded')));
    ws.once('unexpected-response', (req, res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    ws.once('error', () => {});
  });
}

function nextMessage(ws: WebSocket): Promise<{ text: string; binary: boolean }> {
  return new Promise((resolve) =>
    ws.once('message', (data, binary) => resolve({ text: String(data), binary })),
  );
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
}

async function disconnectEventFor(connectionId: string): Promise<WsEvent> {
  return vi.waitFor(() => {
    const event = eventsOf('ws-disconnect').find((e) => e.requestContext.connectionId === connectionId);
    if (!event) throw new Error('$disconnect not called yet');
    return event;
  });
}

describe('local gateway WebSocket $connect', () => {
  it('runs the REQUEST authorizer, then $connect, and selects the subprotocol $connect echoed', async () => {
    const g = await start();
    const ws = await open(g, 'ticket=allow', ['herald.v1', 'token.abc']);
    expect(ws.protocol).toBe('herald.v1');

    const [connectionId] = g.connectionIds();
    const [auth] = eventsOf('ws-authorize');
    expect(auth).toMatchObject({
      type: 'REQUEST',
      methodArn: 'arn:aws:execute-api:us-east-1:000000000000:local/test/$connect',
      queryStringParameters: { ticket: 'allow' },
      requestContext: {
        connectionId,
        routeKey: '$connect',
        eventType: 'CONNECT',
        stage: 'test',
        apiId: 'local',
      },
    });
    const [connect] = eventsOf('ws-connect');
    expect(connect).toMatchObject({
      isBase64Encoded: false,
      requestContext: {
        connectionId,
        routeKey: '$connect',
        eventType: 'CONNECT',
        connectedAt: expect.any(Number),
        identity: { sourceIp: '127.0.0.1' },
        authorizer: { principalId: 'alice', userId: 'alice-sub', tier: '3', beta: 'true' },
      },
    });
    expect(connect?.requestContext.authorizer).toHaveProperty('integrationLatency');
  });

  it('accepts without a subprotocol when $connect echoes none, which a client that offered one rejects', async () => {
    const g = await start();
    const plain = await open(g, 'ticket=allow');
    expect(plain.protocol).toBe('');

    // As on AWS: browsers (and ws) drop the socket when an offered subprotocol is not echoed.
    await expect(open(g, 'ticket=allow&echo=0', ['herald.v1'])).rejects.toThrow(/subprotocol/);
  });

  it('refuses the handshake with 403 on Deny or no covering Allow, 401 on Unauthorized, 500 on a crash', async () => {
    const g = await start();
    expect(await refusal(g, 'ticket=deny')).toBe(403);
    expect(await refusal(g, 'ticket=other-route')).toBe(403);
    expect(await refusal(g, 'ticket=bogus')).toBe(401);
    expect(await refusal(g, '')).toBe(401);
    expect(await refusal(g, 'ticket=crash')).toBe(500);
    expect(eventsOf('ws-connect')).toEqual([]);
    expect(g.connectionIds()).toEqual([]);
  });

  it('refuses the handshake with the status of a non-2xx $connect response', async () => {
    const g = await start();
    expect(await refusal(g, 'ticket=allow&full=1')).toBe(429);
    expect(g.connectionIds()).toEqual([]);
  });

  it('fires $disconnect for a client that left after $connect admitted it, not for a refused one', async () => {
    const g = await start();
    // Refused while the client is gone: never established, so no $disconnect.
    const refused = new WebSocket(`${g.wsUrl}/test?ticket=allow&full=1&slow=150`);
    refused.on('error', () => {});
    // Admitted while the client is gone: established as far as API Gateway knows.
    const admitted = new WebSocket(`${g.wsUrl}/test?ticket=allow&slow=150`);
    admitted.on('error', () => {});
    await vi.waitFor(() => expect(eventsOf('ws-connect')).toHaveLength(2));
    refused.terminate();
    admitted.terminate();

    const connects = eventsOf('ws-connect');
    const admittedId = connects.find((e) => e.queryStringParameters?.full === undefined)?.requestContext
      .connectionId as string;
    const event = await disconnectEventFor(admittedId);
    expect(event.requestContext).toMatchObject({
      routeKey: '$disconnect',
      eventType: 'DISCONNECT',
      disconnectStatusCode: 1006,
      authorizer: { principalId: 'alice' },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(eventsOf('ws-disconnect').map((e) => e.requestContext.connectionId)).toEqual([admittedId]);
    expect(g.connectionIds()).toEqual([]);
  });
});

describe('local gateway WebSocket messages', () => {
  it('routes on body.action, falls back to $default, and sends the route response body', async () => {
    const g = await start();
    const ws = await open(g);

    ws.send(JSON.stringify({ action: 'echo', text: 'hi' }));
    expect(JSON.parse((await nextMessage(ws)).text)).toEqual({ route: 'echo', text: 'hi' });

    ws.send(JSON.stringify({ action: 'nope' }));
    expect((await nextMessage(ws)).text).toBe('default:{"action":"nope"}');

    ws.send('not json');
    expect((await nextMessage(ws)).text).toBe('default:not json');

    const [echo] = eventsOf('ws-echo');
    const [connect] = eventsOf('ws-connect');
    expect(echo).toMatchObject({
      body: '{"action":"echo","text":"hi"}',
      isBase64Encoded: false,
      requestContext: {
        routeKey: 'echo',
        eventType: 'MESSAGE',
        connectionId: g.connectionIds()[0],
        messageId: expect.any(String),
        authorizer: connect?.requestContext.authorizer,
      },
    });
  });

  it('sends API Gateway\'s "Internal server error" frame when a handler throws', async () => {
    const g = await start();
    const ws = await open(g);
    ws.send(JSON.stringify({ action: 'boom' }));
    const frame = JSON.parse((await nextMessage(ws)).text) as Record<string, unknown>;
    const [boom] = eventsOf('ws-boom');
    expect(frame).toEqual({
      message: 'Internal server error',
      connectionId: g.connectionIds()[0],
      requestId: boom?.requestContext.requestId,
    });
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'message handler failed' }));
  });

  it('closes with 1009 when a message exceeds maxMessageBytes, and reports it to $disconnect', async () => {
    const g = await start();
    const ws = await open(g);
    const [connectionId] = g.connectionIds();
    ws.send('x'.repeat(128 * 1024 + 1));
    expect((await closed(ws)).code).toBe(1009);
    const event = await disconnectEventFor(connectionId as string);
    expect(event.requestContext.disconnectStatusCode).toBe(1009);
    expect(eventsOf('ws-default')).toEqual([]);
  });

  it('closes with 1003 on a binary frame, as API Gateway does', async () => {
    const g = await start();
    const ws = await open(g);
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await closed(ws)).code).toBe(1003);
  });
});

describe('local gateway @connections Management API', () => {
  const trickyId = 'ab+cd/ef/gh+ijk=';

  it('delivers PostToConnection to that socket as a text frame, for an id with +, / and =', async () => {
    nextIds = [trickyId];
    const g = await start();
    const ws = await open(g);
    expect(g.connectionIds()).toEqual([trickyId]);

    const received = nextMessage(ws);
    await sdk?.send(new PostToConnectionCommand({ ConnectionId: trickyId, Data: '{"type":"job.progress"}' }));
    expect(await received).toEqual({ text: '{"type":"job.progress"}', binary: false });
  });

  it('answers an unknown connection id with GoneException', async () => {
    await start();
    const post = sdk?.send(new PostToConnectionCommand({ ConnectionId: 'bm90LXRoZXJlLXg=', Data: 'x' }));
    await expect(post).rejects.toBeInstanceOf(GoneException);
    await expect(
      sdk?.send(new GetConnectionCommand({ ConnectionId: 'bm90LXRoZXJlLXg=' })),
    ).rejects.toBeInstanceOf(GoneException);
  });

  it('refuses a message over maxMessageBytes with PayloadTooLargeException', async () => {
    nextIds = [trickyId];
    const g = await start({ maxMessageBytes: 1024 });
    await open(g);
    const post = sdk?.send(new PostToConnectionCommand({ ConnectionId: trickyId, Data: 'x'.repeat(1025) }));
    await expect(post).rejects.toBeInstanceOf(PayloadTooLargeException);
  });

  it('refuses an unsigned request with 403 ForbiddenException', async () => {
    nextIds = [trickyId];
    const g = await start();
    await open(g);
    const res = await fetch(`${g.managementEndpoint}/@connections/${encodeURIComponent(trickyId)}`, {
      method: 'POST',
      body: 'x',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('ForbiddenException');
  });

  it('logs a line per call only when logRequests is on (a fan-out is one call per delivery)', async () => {
    const requestLines = () => logs.filter((entry) => entry.msg === '@connections request');
    nextIds = [trickyId];
    await open(await start());
    await sdk?.send(new PostToConnectionCommand({ ConnectionId: trickyId, Data: 'quiet' }));
    expect(requestLines()).toEqual([]);
    sdk?.destroy();
    await gw?.close();

    nextIds = [trickyId];
    await open(await start({ logRequests: true }));
    await sdk?.send(new PostToConnectionCommand({ ConnectionId: trickyId, Data: 'verbose' }));
    await expect
      .poll(requestLines)
      .toEqual([expect.objectContaining({ level: 'debug', method: 'POST', status: 200 })]);
  });

  it('answers GetConnection with connectedAt, lastActiveAt and identity', async () => {
    nextIds = [trickyId];
    const g = await start();
    const before = Date.now();
    const ws = await open(g);
    ws.send(JSON.stringify({ action: 'echo', text: 'activity' }));
    await nextMessage(ws);

    const info = await sdk?.send(new GetConnectionCommand({ ConnectionId: trickyId }));
    expect(info?.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: expect.any(String) });
    const connectedAt = info?.ConnectedAt?.getTime() ?? 0;
    const lastActiveAt = info?.LastActiveAt?.getTime() ?? 0;
    expect(connectedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(lastActiveAt).toBeGreaterThanOrEqual(connectedAt);
  });

  it('closes the socket on DeleteConnection and fires $disconnect once', async () => {
    nextIds = [trickyId];
    const g = await start();
    const ws = await open(g);
    const wsClosed = closed(ws);

    await sdk?.send(new DeleteConnectionCommand({ ConnectionId: trickyId }));
    expect((await wsClosed).code).toBe(1000);
    const event = await disconnectEventFor(trickyId);
    expect(event.requestContext).toMatchObject({
      routeKey: '$disconnect',
      eventType: 'DISCONNECT',
      disconnectStatusCode: 1000,
      authorizer: { principalId: 'alice' },
    });
    expect(g.connectionIds()).toEqual([]);
    await expect(sdk?.send(new GetConnectionCommand({ ConnectionId: trickyId }))).rejects.toBeInstanceOf(
      GoneException,
    );
    expect(eventsOf('ws-disconnect')).toHaveLength(1);
  });
});

describe('local gateway WebSocket lifetime', () => {
  it('fires $disconnect with the client close code when the client closes', async () => {
    const g = await start();
    const ws = await open(g);
    const [connectionId] = g.connectionIds();
    ws.close(4000, 'bye');
    const event = await disconnectEventFor(connectionId as string);
    expect(event.requestContext).toMatchObject({ disconnectStatusCode: 4000, disconnectReason: 'bye' });
  });

  it('closes an idle connection with 1001 "Going away"; client messages keep it open', async () => {
    const idleTimeoutMs = 300;
    const g = await start({ idleTimeoutMs });
    const ws = await open(g);
    const wsClosed = closed(ws);
    const [connectionId] = g.connectionIds();

    await new Promise((resolve) => setTimeout(resolve, 200));
    const lastSent = Date.now();
    ws.send(JSON.stringify({ action: 'echo', text: 'still here' }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    // Past the first deadline (300 ms after open), but the message restarted the idle clock.
    expect(ws.readyState).toBe(WebSocket.OPEN);

    expect(await wsClosed).toEqual({ code: 1001, reason: 'Going away' });
    expect(Date.now() - lastSent).toBeGreaterThanOrEqual(idleTimeoutMs - 20);
    expect((await disconnectEventFor(connectionId as string)).requestContext.disconnectStatusCode).toBe(1001);
  });

  it('closes a connection at its maximum age even while it is active', async () => {
    const g = await start({ maxConnectionAgeMs: 250 });
    const ws = await open(g);
    const wsClosed = closed(ws);
    const chatter = setInterval(() => ws.send('ping'), 50);
    try {
      expect(await wsClosed).toEqual({ code: 1001, reason: 'Going away' });
    } finally {
      clearInterval(chatter);
    }
  });

  it('close() closes every socket, awaits $disconnect and leaves no servers or sockets open', async () => {
    const servers = (): number =>
      process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    const sockets = (): number =>
      process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const baseline = { servers: servers(), sockets: sockets() };

    const g = await start();
    const clients = [await open(g), await open(g)];
    const ids = g.connectionIds();
    await fetch(`${g.restUrl}/none`); // leaves a keep-alive socket in fetch's pool
    const closes = clients.map(closed);
    sdk?.destroy();
    await g.close();

    expect(await Promise.all(closes)).toEqual([
      { code: 1001, reason: 'Going away' },
      { code: 1001, reason: 'Going away' },
    ]);
    expect([...finishedDisconnects].sort()).toEqual([...ids].sort());
    expect(servers()).toBe(baseline.servers);
    await vi.waitFor(() => expect(sockets()).toBe(baseline.sockets));
    await expect(fetch(g.restUrl)).rejects.toThrow();
    await expect(open(g)).rejects.toThrow(/ECONNREFUSED/);
  });
});
