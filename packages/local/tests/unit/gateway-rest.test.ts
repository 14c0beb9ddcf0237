import { request } from 'node:http';
import type { HandlerRef, HttpRoute, RouteTable } from '@herald/protocol';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalGateway } from '../../src/gateway/index.ts';
import { createLocalGateway } from '../../src/gateway/index.ts';

const ref = (name: string): HandlerRef => ({ package: 'realtime', name });

const routes: RouteTable<HttpRoute> = {
  http: {
    me: { method: 'GET', path: '/me', handler: ref('http-me'), auth: 'cognito' },
    // Declared before `/jobs/mine` on purpose: the more specific resource must still win.
    job: { method: 'GET', path: '/jobs/{id}', handler: ref('http-echo'), auth: 'none' },
    myJobs: { method: 'GET', path: '/jobs/mine', handler: ref('http-echo'), auth: 'none' },
    addNote: { method: 'POST', path: '/jobs/{id}/notes', handler: ref('http-echo'), auth: 'none' },
    file: { method: 'GET', path: '/files/{path+}', handler: ref('http-echo'), auth: 'none' },
    boom: { method: 'GET', path: '/boom', handler: ref('http-throw'), auth: 'none' },
    malformed: { method: 'GET', path: '/malformed', handler: ref('http-malformed'), auth: 'none' },
    image: { method: 'GET', path: '/image', handler: ref('http-image'), auth: 'none' },
  },
  queues: [],
  topics: [],
  ws: {
    authorizer: ref('ws-authorize'),
    identitySource: [],
    routeSelectionExpression: '$request.body.action',
    routes: [],
  },
};

const PNG_BYTES = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);

// Test handlers standing in for Lambda modules: they see exactly the event the gateway built.
const handlers: Record<string, (event: APIGatewayProxyEvent) => Promise<unknown>> = {
  'http-me': async (event) => ({
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  }),
  'http-echo': async (event) => ({ statusCode: 200, body: JSON.stringify(event) }),
  'http-throw': async () => {
    throw new Error('database unreachable');
  },
  'http-malformed': async () => ({ status: 200, body: { not: 'a string' } }),
  'http-image': async () => ({
    statusCode: 201,
    headers: { 'content-type': 'image/png', 'x-one': 'header' },
    multiValueHeaders: { 'set-cookie': ['a=1', 'b=2'] },
    body: PNG_BYTES.toString('base64'),
    isBase64Encoded: true,
  }),
};

const TOKENS: Record<string, Record<string, unknown>> = {
  'token-alice': {
    sub: 'alice-sub',
    'cognito:groups': ['admins', 'ops'],
    exp: 1_900_000_000,
    email_verified: true,
    token_use: 'id',
  },
};

let gw: LocalGateway;
let invoked: string[] = [];
const logs: Record<string, unknown>[] = [];

beforeAll(async () => {
  gw = await createLocalGateway({
    routes,
    stage: 'test',
    invoke: async (handler, event) => {
      invoked.push(handler.name);
      const fn = handlers[handler.name];
      if (!fn) throw new Error(`no test handler ${handler.name}`);
      return fn(event as APIGatewayProxyEvent);
    },
    verifyToken: async (token) => TOKENS[token],
    log: (entry) => logs.push(entry),
  });
});

afterAll(async () => {
  await gw.close();
});

beforeEach(() => {
  invoked = [];
});

async function eventFrom(res: Response): Promise<APIGatewayProxyEvent> {
  expect(res.status).toBe(200);
  return (await res.json()) as APIGatewayProxyEvent;
}

describe('local gateway REST API', () => {
  it('passes an authenticated request to the handler with the claims as API Gateway strings', async () => {
    const res = await fetch(`${gw.restUrl}/me`, { headers: { authorization: 'Bearer token-alice' } });
    const event = await eventFrom(res);

    expect(event.requestContext.authorizer?.claims).toEqual({
      sub: 'alice-sub',
      'cognito:groups': 'admins,ops',
      exp: '1900000000',
      email_verified: 'true',
      token_use: 'id',
    });
    expect(event).toMatchObject({
      resource: '/me',
      path: '/me',
      httpMethod: 'GET',
      pathParameters: null,
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {
        resourcePath: '/me',
        httpMethod: 'GET',
        stage: 'test',
        path: '/test/me',
        identity: { sourceIp: '127.0.0.1' },
      },
    });
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-amzn-requestid')).toBe(event.requestContext.requestId);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('accepts the raw token without the Bearer prefix', async () => {
    const res = await fetch(`${gw.restUrl}/me`, { headers: { authorization: 'token-alice' } });
    const event = await eventFrom(res);
    expect(event.requestContext.authorizer?.claims.sub).toBe('alice-sub');
  });

  it('answers 401 with the UNAUTHENTICATED envelope when the token is missing or refused', async () => {
    const missing = await fetch(`${gw.restUrl}/me`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ code: 'UNAUTHENTICATED', message: expect.any(String) });

    const refused = await fetch(`${gw.restUrl}/me`, { headers: { authorization: 'Bearer token-mallory' } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: 'UNAUTHENTICATED' });

    expect(invoked).toEqual([]);
  });

  it('never writes a token to the log', async () => {
    await fetch(`${gw.restUrl}/me`, { headers: { authorization: 'Bearer token-mallory' } });
    await fetch(`${gw.restUrl}/me`, { headers: { authorization: 'Bearer token-alice' } });
    expect(logs.length).toBeGreaterThan(0);
    const text = JSON.stringify(logs);
    expect(text).not.toContain('token-mallory');
    expect(text).not.toContain('token-alice');
  });

  it('answers 404 ROUTE_NOT_FOUND for an unknown path and 405 for a known path with another method', async () => {
    const unknown = await fetch(`${gw.restUrl}/nowhere`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });

    const wrongMethod = await fetch(`${gw.restUrl}/me`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
    expect(await wrongMethod.json()).toMatchObject({ code: 'METHOD_NOT_ALLOWED' });
    expect(invoked).toEqual([]);
  });

  it('answers 502 "Internal server error" when the handler throws or returns a malformed result', async () => {
    for (const path of ['/boom', '/malformed']) {
      const res = await fetch(`${gw.restUrl}${path}`);
      expect(res.status).toBe(502);
      expect(res.headers.get('x-amzn-errortype')).toBe('InternalServerErrorException');
      expect(await res.json()).toEqual({ message: 'Internal server error' });
    }
    expect(logs).toContainEqual(
      expect.objectContaining({
        msg: 'handler failed',
        error: expect.stringContaining('database unreachable'),
      }),
    );
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'malformed Lambda proxy response' }));
  });

  it('decodes path parameters, greedy ones included, and prefers the most specific resource', async () => {
    const single = await eventFrom(await fetch(`${gw.restUrl}/jobs/a%20b%2Fc%3D`));
    expect(single.resource).toBe('/jobs/{id}');
    expect(single.pathParameters).toEqual({ id: 'a b/c=' });

    const greedy = await eventFrom(await fetch(`${gw.restUrl}/files/reports/2024/r%C3%A9sum%C3%A9.pdf`));
    expect(greedy.resource).toBe('/files/{path+}');
    expect(greedy.pathParameters).toEqual({ path: 'reports/2024/résumé.pdf' });

    const literal = await eventFrom(await fetch(`${gw.restUrl}/jobs/mine`));
    expect(literal.resource).toBe('/jobs/mine');
    expect(literal.pathParameters).toBeNull();
  });

  it('passes query strings and repeated headers as single- and multi-value maps', async () => {
    // fetch folds repeated headers into one line; node:http sends each value on its own line.
    const event = await new Promise<APIGatewayProxyEvent>((resolve, reject) => {
      const req = request(`${gw.restUrl}/jobs/7?tag=a&tag=b&q=x%20y`, {
        headers: { 'X-Trace': ['one', 'two'] },
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as APIGatewayProxyEvent),
        );
      });
      req.on('error', reject);
      req.end();
    });
    expect(event.queryStringParameters).toEqual({ tag: 'b', q: 'x y' });
    expect(event.multiValueQueryStringParameters).toEqual({ tag: ['a', 'b'], q: ['x y'] });
    expect(event.multiValueHeaders['X-Trace']).toEqual(['one', 'two']);
    expect(event.headers['X-Trace']).toBe('two');
  });

  it('passes text bodies as strings and other content types base64-encoded', async () => {
    const json = await eventFrom(
      await fetch(`${gw.restUrl}/jobs/7/notes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8' },
        body: JSON.stringify({ note: 'héllo' }),
      }),
    );
    expect(json.body).toBe('{"note":"héllo"}');
    expect(json.isBase64Encoded).toBe(false);

    const binary = await eventFrom(
      await fetch(`${gw.restUrl}/jobs/7/notes`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: PNG_BYTES,
      }),
    );
    expect(binary.isBase64Encoded).toBe(true);
    expect(Buffer.from(binary.body ?? '', 'base64').equals(PNG_BYTES)).toBe(true);
  });

  it('maps a base64 result with headers and multi-value headers to the HTTP response', async () => {
    const res = await fetch(`${gw.restUrl}/image`);
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('x-one')).toBe('header');
    expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG_BYTES)).toBe(true);
  });

  it('refuses a body over 10 MiB with 413 PAYLOAD_TOO_LARGE before invoking the handler', async () => {
    const res = await fetch(`${gw.restUrl}/jobs/7/notes`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x61),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(invoked).toEqual([]);
  });

  it('answers a CORS preflight for a route path without authentication or a handler call', async () => {
    const res = await fetch(`${gw.restUrl}/me`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET,OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    expect(invoked).toEqual([]);
  });

  it('echoes only a configured CORS origin', async () => {
    const strict = await createLocalGateway({
      routes,
      invoke: async () => ({ statusCode: 200, body: '{}' }),
      verifyToken: async () => undefined,
      corsOrigins: ['http://app.test'],
    });
    try {
      const allowed = await fetch(`${strict.restUrl}/jobs/1`, { headers: { origin: 'http://app.test' } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('http://app.test');
      expect(allowed.headers.get('vary')).toBe('Origin');
      const other = await fetch(`${strict.restUrl}/jobs/1`, { headers: { origin: 'http://evil.test' } });
      expect(other.status).toBe(200);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await strict.close();
    }
  });
});
