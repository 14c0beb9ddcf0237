import { request } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayRoutes, LocalGateway } from '../../src/gateway/index.ts';
import { createLocalGateway, gatewayResponder } from '../../src/gateway/index.ts';

const routes: GatewayRoutes = {
  http: [
    { method: 'GET', path: '/me', target: 'http-me', auth: 'cognito' },
    // Declared before `/jobs/mine` on purpose: the more specific resource must still win.
    { method: 'GET', path: '/jobs/{id}', target: 'http-echo', auth: 'none' },
    { method: 'GET', path: '/jobs/mine', target: 'http-echo', auth: 'none' },
    { method: 'POST', path: '/jobs/{id}/notes', target: 'http-echo', auth: 'none' },
    { method: 'GET', path: '/files/{path+}', target: 'http-echo', auth: 'none' },
    { method: 'GET', path: '/boom', target: 'http-throw', auth: 'none' },
    { method: 'GET', path: '/malformed', target: 'http-malformed', auth: 'none' },
    { method: 'GET', path: '/image', target: 'http-image', auth: 'none' },
  ],
  ws: { authorizer: 'ws-authorize', routes: [] },
};

/**
 * Gateway responses and a preflight mock as the CDK app declares them (rest-api.ts): the
 * gateway answers with these, and adds no CORS header of its own anywhere.
 */
const responses = gatewayResponder(
  [
    {
      type: 'UNAUTHORIZED',
      statusCode: 401,
      headers: { 'Access-Control-Allow-Origin': 'method.request.header.Origin', Vary: "'Origin'" },
      body: '{"code":"UNAUTHENTICATED","message":"Sign in again."}',
    },
    {
      type: 'MISSING_AUTHENTICATION_TOKEN',
      statusCode: 404,
      headers: {},
      body: '{"code":"ROUTE_NOT_FOUND","message":"There is no such API route."}',
    },
    {
      type: 'REQUEST_TOO_LARGE',
      statusCode: 413,
      headers: {},
      body: '{"code":"PAYLOAD_TOO_LARGE","message":"The request body is too large."}',
    },
  ],
  [
    {
      path: '/me',
      allowedOrigins: ['http://app.test', 'http://other.test'],
      headers: {
        'Access-Control-Allow-Origin': 'http://app.test',
        'Access-Control-Allow-Methods': 'OPTIONS,GET',
        'Access-Control-Allow-Headers': 'Content-Type,Authorization',
        Vary: 'Origin',
      },
    },
  ],
);

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
    responses,
    stage: 'test',
    invoke: async (target, event) => {
      invoked.push(target);
      const fn = handlers[target];
      if (!fn) throw new Error(`no test handler ${target}`);
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
    // A proxy integration's response is the Lambda's: API Gateway adds no CORS header to it.
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('accepts the raw token without the Bearer prefix', async () => {
    const res = await fetch(`${gw.restUrl}/me`, { headers: { authorization: 'token-alice' } });
    const event = await eventFrom(res);
    expect(event.requestContext.authorizer?.claims.sub).toBe('alice-sub');
  });

  it("answers 401 with the API's UNAUTHORIZED gateway response when the token is missing or refused", async () => {
    const missing = await fetch(`${gw.restUrl}/me`, { headers: { origin: 'http://app.test' } });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ code: 'UNAUTHENTICATED', message: 'Sign in again.' });
    // Header mappings of the gateway response: the request's Origin, and a static Vary.
    expect(missing.headers.get('access-control-allow-origin')).toBe('http://app.test');
    expect(missing.headers.get('vary')).toBe('Origin');

    const refused = await fetch(`${gw.restUrl}/me`, { headers: { authorization: 'Bearer token-mallory' } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

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

  // API Gateway answers both with its MISSING_AUTHENTICATION_TOKEN response (here the API's own, 404).
  it('answers an unknown path, and a known path with another method, with MISSING_AUTHENTICATION_TOKEN', async () => {
    const unknown = await fetch(`${gw.restUrl}/nowhere`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });

    const wrongMethod = await fetch(`${gw.restUrl}/me`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(404);
    expect(await wrongMethod.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
    expect(invoked).toEqual([]);
  });

  // The CDK app declares DEFAULT_5XX without a status (it keeps each 5xx's own, 502 for a failed
  // Lambda): the local gateway answered such a failure with a bare 500 ("Invalid status code").
  it("answers a failed Lambda with 502 and the API's DEFAULT_5XX body when that response states no status", async () => {
    const envelope = '{"code":"INTERNAL","message":"Something went wrong on our side."}';
    const declared = await createLocalGateway({
      routes,
      invoke: async () => {
        throw new Error('Task timed out after 10.00 seconds');
      },
      verifyToken: async () => undefined,
      responses: gatewayResponder([{ type: 'DEFAULT_5XX', headers: {}, body: envelope }]),
    });
    try {
      const res = await fetch(`${declared.restUrl}/boom`);
      expect(res.status).toBe(502);
      expect(await res.json()).toEqual(JSON.parse(envelope));
    } finally {
      await declared.close();
    }
  });

  it("falls back to API Gateway's own answers where the API declares none", async () => {
    const bare = await createLocalGateway({
      routes,
      invoke: async () => ({ statusCode: 200, body: '{}' }),
      verifyToken: async () => undefined,
    });
    try {
      const unknown = await fetch(`${bare.restUrl}/nowhere`, { headers: { origin: 'http://app.test' } });
      expect(unknown.status).toBe(403);
      expect(await unknown.json()).toEqual({ message: 'Missing Authentication Token' });
      expect(unknown.headers.get('access-control-allow-origin')).toBeNull();
      const unauthorized = await fetch(`${bare.restUrl}/me`);
      expect(unauthorized.status).toBe(401);
      expect(await unauthorized.json()).toEqual({ message: 'Unauthorized' });
    } finally {
      await bare.close();
    }
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

  it('refuses a body over 10 MiB with the REQUEST_TOO_LARGE response before invoking the handler', async () => {
    const res = await fetch(`${gw.restUrl}/jobs/7/notes`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x61),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(invoked).toEqual([]);
  });

  it("answers a CORS preflight from the resource's OPTIONS mock, without authentication or a handler call", async () => {
    const preflight = (origin: string) =>
      fetch(`${gw.restUrl}/me`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
    const first = await preflight('http://app.test');
    expect(first.status).toBe(204);
    expect(first.headers.get('access-control-allow-origin')).toBe('http://app.test');
    expect(first.headers.get('access-control-allow-methods')).toBe('OPTIONS,GET');
    expect(first.headers.get('access-control-allow-headers')).toBe('Content-Type,Authorization');
    // CDK's mock echoes a further allowed origin, and answers any other with its static first one.
    expect((await preflight('http://other.test')).headers.get('access-control-allow-origin')).toBe(
      'http://other.test',
    );
    expect((await preflight('http://evil.test')).headers.get('access-control-allow-origin')).toBe(
      'http://app.test',
    );
    expect(invoked).toEqual([]);
  });

  it('answers OPTIONS on a resource without a preflight mock like any method it does not have', async () => {
    const res = await fetch(`${gw.restUrl}/boom`, {
      method: 'OPTIONS',
      headers: { origin: 'http://app.test' },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
