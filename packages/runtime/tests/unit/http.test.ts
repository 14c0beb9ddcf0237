import { errorEnvelope } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, HeraldError } from '../../src/errors.ts';
import { httpRoute, json, noContent, type Reply, type RestProxyEvent } from '../../src/http.ts';
import { createJsonLogger } from '../../src/log.ts';
import type { Metrics } from '../../src/metrics.ts';
import { refuse } from '../../src/result.ts';

const claims = { sub: 'u-1', 'cognito:username': 'ada', 'cognito:groups': '[analysts]' };

function event(
  options: Partial<RestProxyEvent> & { claims?: Record<string, unknown> | null } = {},
): RestProxyEvent {
  const { claims: given, ...rest } = options;
  return {
    requestContext: { requestId: 'req-1', authorizer: given === null ? null : { claims: given ?? claims } },
    ...rest,
  };
}

function deps() {
  const lines: string[] = [];
  let flushes = 0;
  const metrics: Metrics = { add: () => {}, addMetadata: () => {}, flush: () => void flushes++ };
  const d = {
    log: createJsonLogger({}, (line) => lines.push(line)),
    metrics,
    cors: { allowedOrigins: [] as string[] },
  };
  return {
    provide: () => d,
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => lines.join('\n'),
    flushes: () => flushes,
  };
}

const parse = (response: { statusCode: number; headers: Record<string, string>; body: string }) => ({
  status: response.statusCode,
  headers: response.headers,
  json: response.body === '' ? undefined : (JSON.parse(response.body) as Record<string, unknown>),
});

/** The `details.issues` of an error envelope. */
const issuesOf = (json: Record<string, unknown> | undefined) =>
  (json?.details as { issues?: { path: string; message: string }[] } | undefined)?.issues ?? [];

const Body = z.strictObject({ name: z.string().min(1), count: z.number().int().positive() });

describe('httpRoute', () => {
  it('runs the route for the caller of the Cognito claims with a logger keyed by request, route and user', async () => {
    const f = deps();
    const handler = httpRoute(f.provide, { route: 'GET /me' }, async ({ caller, log, requestId }) => {
      log.log('info', 'hello');
      return json(200, { caller, requestId });
    });
    const response = parse(await handler(event()));
    expect(response).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      json: { caller: { userId: 'u-1', username: 'ada', groups: ['analysts'] }, requestId: 'req-1' },
    });
    expect(f.entries()).toEqual([
      expect.objectContaining({ message: 'hello', requestId: 'req-1', route: 'GET /me', userId: 'u-1' }),
    ]);
    expect(f.flushes()).toBe(1);
  });

  it.each([
    ['no authorizer', null],
    ['no sub', { 'cognito:username': 'ada' }],
    ['no user name', { sub: 'u-1' }],
  ])('answers 401 UNAUTHENTICATED with %s, without running the route', async (_name, given) => {
    const f = deps();
    let ran = false;
    const handler = httpRoute(f.provide, { route: 'GET /me' }, async () => {
      ran = true;
      return noContent();
    });
    const response = parse(await handler(event({ claims: given })));
    expect(response.status).toBe(401);
    expect(response.json).toEqual({ code: 'UNAUTHENTICATED', message: 'You need to sign in first.' });
    expect(ran).toBe(false);
    expect(f.entries()).toEqual([expect.objectContaining({ level: 'warn', route: 'GET /me' })]);
  });

  it('validates the JSON body: 400 BAD_REQUEST when it is not JSON, VALIDATION_FAILED with bounded issues', async () => {
    const handler = httpRoute(deps().provide, { route: 'POST /things', body: Body }, async ({ body }) =>
      json(201, body),
    );
    for (const text of ['{"name":', '', undefined]) {
      const response = parse(await handler(event({ body: text ?? null })));
      expect([response.status, response.json?.code]).toEqual([400, 'BAD_REQUEST']);
      expect(response.json?.message).toBe('The request body must be a JSON object.');
    }
    const invalid = parse(
      await handler(event({ body: JSON.stringify({ name: '', count: -1, secret: 's3cr3t' }) })),
    );
    expect(invalid.status).toBe(400);
    expect(invalid.json).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/^The request body is invalid: name: /),
    });
    const issues = issuesOf(invalid.json);
    expect(issues.map((i) => i.path)).toEqual(['name', 'count', '']);
    expect(JSON.stringify(invalid.json)).not.toContain('s3cr3t');
    const base64 = Buffer.from(JSON.stringify({ name: 'a', count: 2 })).toString('base64');
    expect(parse(await handler(event({ body: base64, isBase64Encoded: true })))).toMatchObject({
      status: 201,
      json: { name: 'a', count: 2 },
    });
  });

  it('bounds the issues: at most 10, each at most 200 characters', async () => {
    const Wide = z.object(Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`f${i}`, z.string()])));
    const handler = httpRoute(deps().provide, { route: 'POST /wide', body: Wide }, async () => noContent());
    const response = parse(await handler(event({ body: '{}' })));
    const issues = issuesOf(response.json);
    expect(issues).toHaveLength(10);
    const Long = z.object({ x: z.string().refine(() => false, { message: 'y'.repeat(500) }) });
    const long = httpRoute(deps().provide, { route: 'POST /long', body: Long }, async () => noContent());
    const refused = parse(await long(event({ body: '{"x":"a"}' })));
    expect(issuesOf(refused.json)[0]?.message).toHaveLength(200);
  });

  it('refuses a body that is not JSON with VALIDATION_FAILED for a route whose contract says so', async () => {
    const handler = httpRoute(
      deps().provide,
      { route: 'POST /devices', body: Body, notJson: 'VALIDATION_FAILED' },
      async () => noContent(),
    );
    for (const text of ['token=abc', null]) {
      const response = parse(await handler(event({ body: text })));
      expect([response.status, response.json?.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
  });

  it('validates path and query parameters, and passes them as they are without a schema', async () => {
    const handler = httpRoute(
      deps().provide,
      {
        route: 'GET /things/{id}',
        path: z.object({ id: z.uuid() }),
        query: z.object({ limit: z.coerce.number().int().max(100).default(20) }),
      },
      async ({ path, query }) => json(200, { id: path.id, limit: query.limit }),
    );
    const id = '00000000-0000-4000-8000-000000000001';
    expect(parse(await handler(event({ pathParameters: { id } }))).json).toEqual({ id, limit: 20 });
    const badPath = parse(await handler(event({ pathParameters: { id: 'x' } })));
    expect(badPath.json).toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/^The path is invalid: id: /),
    });
    const badQuery = parse(
      await handler(event({ pathParameters: { id }, queryStringParameters: { limit: '500' } })),
    );
    expect(badQuery.json).toMatchObject({
      message: expect.stringMatching(/^The query string is invalid: limit: /),
    });
    const raw = httpRoute(deps().provide, { route: 'GET /raw/{id}' }, async ({ path, query }) =>
      json(200, { path, query }),
    );
    expect(parse(await raw(event({ pathParameters: { id: 'a' } }))).json).toEqual({
      path: { id: 'a' },
      query: {},
    });
  });

  it('authorizes before validating anything: a refusal is the answer whatever the body', async () => {
    const handler = httpRoute(
      deps().provide,
      {
        route: 'POST /admin/things',
        body: Body,
        authorize: (caller) =>
          caller.groups.includes('admins') ? { ok: true, value: undefined } : refuse('FORBIDDEN'),
      },
      async () => noContent(),
    );
    expect(parse(await handler(event({ body: 'not json' }))).json?.code).toBe('FORBIDDEN');
    const admin = { ...claims, 'cognito:groups': 'admins' };
    expect(parse(await handler(event({ claims: admin, body: 'not json' }))).json?.code).toBe('BAD_REQUEST');
  });

  it('answers 503 for a retryable throw and 500 otherwise, without internals, logging the error', async () => {
    const f = deps();
    let failure: unknown;
    const handler = httpRoute(f.provide, { route: 'GET /x' }, async () => {
      throw failure;
    });
    failure = new HeraldError('database error while reading (SQLSTATE 08006)', {
      retryable: true,
      cause: new Error('connect ECONNREFUSED 10.0.0.1:5432'),
    });
    const unavailable = parse(await handler(event()));
    expect([unavailable.status, unavailable.json]).toEqual([503, errorEnvelope('UPSTREAM_UNAVAILABLE')]);
    failure = new TypeError('boom at line 12');
    const broken = parse(await handler(event()));
    expect([broken.status, broken.json]).toEqual([500, errorEnvelope('INTERNAL')]);
    expect(f.entries().map((e) => [e.level, e.message])).toEqual([
      ['error', 'request failed'],
      ['error', 'request failed'],
    ]);
    expect(f.flushes()).toBe(2);
  });

  it('renders every response through ONE headers function, the reply’s own headers included', async () => {
    const headers = (reply: Reply) => ({
      'x-route': 'custom',
      'x-status': String(reply.status),
      ...reply.headers,
    });
    const handler = httpRoute(deps().provide, { route: 'GET /x', headers }, async () => ({
      status: 503,
      body: errorEnvelope('UPSTREAM_UNAVAILABLE'),
      headers: { 'retry-after': '10' },
    }));
    expect((await handler(event())).headers).toEqual({
      'x-route': 'custom',
      'x-status': '503',
      'retry-after': '10',
    });
    expect((await handler(event({ claims: null }))).headers).toEqual({
      'x-route': 'custom',
      'x-status': '401',
    });
    const empty = await httpRoute(deps().provide, { route: 'DELETE /x' }, async () => noContent())(event());
    expect(empty).toEqual({ statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' });
  });

  it('throws what building the deps throws (a ConfigError at the first invocation), as Lambda reports it', async () => {
    const handler = httpRoute(
      () => {
        throw new ConfigError('Invalid configuration: AWS_REGION is required', ['AWS_REGION']);
      },
      { route: 'GET /x' },
      async () => noContent(),
    );
    await expect(handler(event())).rejects.toBeInstanceOf(ConfigError);
  });

  // API Gateway adds no CORS header to a proxy integration's response: the handler's are all a
  // browser gets.
  it('answers an allowed origin with its own CORS headers, any other without, and nothing when none are configured', async () => {
    const f = deps();
    const d = {
      ...f.provide(),
      cors: { allowedOrigins: ['https://app.example.com', 'http://localhost:5173'] },
    };
    const handler = httpRoute(
      () => d,
      { route: 'GET /x' },
      async () => json(200, { ok: true }),
    );
    const allowed = await handler(event({ headers: { Origin: 'http://localhost:5173' } }));
    expect(allowed.headers).toMatchObject({
      'access-control-allow-origin': 'http://localhost:5173',
      vary: 'Origin',
      'access-control-expose-headers': 'Retry-After, X-Amzn-RequestId',
    });
    const other = await handler(event({ headers: { origin: 'https://evil.example' } }));
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.headers.vary).toBe('Origin');
    // Errors carry them too, or a browser could not read why it was refused.
    const refused = await handler(event({ claims: null, headers: { origin: 'https://app.example.com' } }));
    expect(refused).toMatchObject({
      statusCode: 401,
      headers: { 'access-control-allow-origin': 'https://app.example.com' },
    });
    const none = await httpRoute(f.provide, { route: 'GET /x' }, async () => json(200, {}))(
      event({ headers: { origin: 'https://app.example.com' } }),
    );
    expect(none.headers).not.toHaveProperty('access-control-allow-origin');
    expect(none.headers).not.toHaveProperty('vary');
  });
});
