import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  ConnectionStoreError,
  IdentityProviderUnavailableError,
} from '../../src/errors.ts';
import { makeWsAuthorizeHandler } from '../../src/handlers/ws-authorize.ts';
import { makeWsConnectHandler } from '../../src/handlers/ws-connect.ts';
import { makeWsDefaultHandler } from '../../src/handlers/ws-default.ts';
import { makeWsDisconnectHandler } from '../../src/handlers/ws-disconnect.ts';
import { fakeDeps } from '../fakes/fake-deps.ts';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJl';
const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/$connect';
const ada = { userId: 'u-1', username: 'ada', groups: ['admins', 'analysts'] };

function authorizerEvent(headers: Record<string, string>, query: Record<string, string> | null = null) {
  return {
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    headers,
    multiValueHeaders: null,
    queryStringParameters: query,
    requestContext: { connectionId: 'L0SM9cOFvHcCIhw=', requestId: 'req-1', routeKey: '$connect' },
  };
}

describe('ws-authorize handler', () => {
  it('allows $connect for a valid JWT offered next to herald.v1, whatever the header case', async () => {
    const f = fakeDeps();
    f.tokens.accept(JWT, ada);
    const handler = makeWsAuthorizeHandler(f.provide);
    const policy = await handler(authorizerEvent({ 'sec-websocket-protocol': `herald.v1, ${JWT}` }));
    expect(policy).toEqual({
      principalId: 'u-1',
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: METHOD_ARN }],
      },
      context: { userId: 'u-1', username: 'ada', groups: 'admins,analysts' },
    });
    expect(f.tokens.verified).toEqual([JWT]);
    expect(f.logs.text).not.toContain(JWT);
  });

  it('throws Unauthorized when no credential is offered, without calling the verifier', async () => {
    const f = fakeDeps();
    const handler = makeWsAuthorizeHandler(f.provide);
    await expect(handler(authorizerEvent({ 'Sec-WebSocket-Protocol': 'herald.v1' }))).rejects.toThrow(
      /^Unauthorized$/,
    );
    expect(f.tokens.verified).toEqual([]);
    expect(f.logs.entries.at(-1)).toMatchObject({ level: 'warn', reason: 'missing', requestId: 'req-1' });
  });

  it('throws Unauthorized for a refused token and never logs it', async () => {
    const f = fakeDeps();
    f.tokens.fail(JWT, new AuthenticationError('expired', 'token has expired'));
    const handler = makeWsAuthorizeHandler(f.provide);
    await expect(handler(authorizerEvent({ 'Sec-WebSocket-Protocol': `herald.v1, ${JWT}` }))).rejects.toThrow(
      /^Unauthorized$/,
    );
    expect(f.logs.entries.at(-1)).toMatchObject({ level: 'warn', reason: 'expired', credentialKind: 'jwt' });
    expect(f.logs.text).not.toContain(JWT);
  });

  it('refuses a ticket: redeeming tickets is not built yet, and it must not be faked', async () => {
    const f = fakeDeps();
    f.tokens.accept(JWT, ada);
    // Even a verifier that would accept the ticket's text as a token must not be asked.
    f.tokens.accept('tkt-123', ada);
    const handler = makeWsAuthorizeHandler(f.provide);
    const event = authorizerEvent({ 'Sec-WebSocket-Protocol': `herald.v1, ${JWT}` }, { ticket: 'tkt-123' });
    await expect(handler(event)).rejects.toThrow(/^Unauthorized$/);
    expect(f.logs.entries.at(-1)).toMatchObject({ reason: 'unsupported', credentialKind: 'ticket' });
    expect(f.tokens.verified).toEqual([]);
    expect(f.logs.text).not.toContain('tkt-123');
  });

  it('fails (not 401) when the identity provider is unreachable, so the client retries', async () => {
    const f = fakeDeps();
    f.tokens.fail(JWT, new IdentityProviderUnavailableError('JWKS down'));
    const handler = makeWsAuthorizeHandler(f.provide);
    await expect(
      handler(authorizerEvent({ 'Sec-WebSocket-Protocol': `herald.v1, ${JWT}` })),
    ).rejects.toBeInstanceOf(IdentityProviderUnavailableError);
    expect(f.logs.entries.at(-1)).toMatchObject({ level: 'error' });
  });
});

function connectEvent(
  headers: Record<string, string> = {},
  authorizer: Record<string, unknown> | null = null,
) {
  return {
    headers,
    requestContext: {
      connectionId: 'L0SM9cOFvHcCIhw=',
      requestId: 'req-2',
      routeKey: '$connect',
      eventType: 'CONNECT',
      authorizer: authorizer ?? { userId: 'u-1', username: 'ada', groups: 'admins', principalId: 'u-1' },
    },
  };
}

describe('ws-connect handler', () => {
  it('stores the connection for the authorized user and echoes herald.v1, not the token', async () => {
    const f = fakeDeps('2025-06-01T12:00:00.000Z');
    const handler = makeWsConnectHandler(f.provide);
    const response = await handler(connectEvent({ 'Sec-WebSocket-Protocol': `herald.v1, ${JWT}` }));
    expect(response).toEqual({ statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'herald.v1' } });
    const now = Date.parse('2025-06-01T12:00:00.000Z');
    expect(await f.connections.listByUser('u-1', now)).toEqual([
      { connectionId: 'L0SM9cOFvHcCIhw=', userId: 'u-1', connectedAt: now, expiresAt: now / 1000 + 10_800 },
    ]);
  });

  it('sends no subprotocol header when the client offered none (ticket clients)', async () => {
    const f = fakeDeps();
    const response = await makeWsConnectHandler(f.provide)(connectEvent());
    expect(response).toEqual({ statusCode: 200 });
  });

  it('refuses a connection that arrives without an authorizer identity', async () => {
    const f = fakeDeps();
    const response = await makeWsConnectHandler(f.provide)(connectEvent({}, { principalId: 'x' }));
    expect(response.statusCode).toBe(401);
    expect(await f.connections.listByUser('x', f.clock.now())).toEqual([]);
  });

  it('fails the connection when it cannot be stored', async () => {
    const f = fakeDeps();
    f.connections.failNextWith(new ConnectionStoreError('throttled', { retryable: true }));
    const response = await makeWsConnectHandler(f.provide)(connectEvent());
    expect(response.statusCode).toBe(500);
    expect(f.logs.entries.at(-1)).toMatchObject({ level: 'error', message: 'connection not stored' });
  });
});

describe('ws-disconnect handler', () => {
  const event = { requestContext: { connectionId: 'L0SM9cOFvHcCIhw=', requestId: 'req-3' } };

  it('deletes the connection, and a second disconnect is harmless', async () => {
    const f = fakeDeps();
    const now = f.clock.now();
    await f.connections.put({
      connectionId: 'L0SM9cOFvHcCIhw=',
      userId: 'u-1',
      connectedAt: now,
      expiresAt: now / 1000 + 7200,
    });
    await f.connections.put({
      connectionId: 'other',
      userId: 'u-1',
      connectedAt: now,
      expiresAt: now / 1000 + 7200,
    });
    const handler = makeWsDisconnectHandler(f.provide);
    expect(await handler(event)).toEqual({ statusCode: 200 });
    expect(await handler(event)).toEqual({ statusCode: 200 });
    expect((await f.connections.listByUser('u-1', now)).map((c) => c.connectionId)).toEqual(['other']);
  });

  it('answers 200 and logs when the delete fails (TTL cleans up)', async () => {
    const f = fakeDeps();
    f.connections.failNextWith(new ConnectionStoreError('down', { retryable: true }));
    expect(await makeWsDisconnectHandler(f.provide)(event)).toEqual({ statusCode: 200 });
    expect(f.logs.entries.at(-1)).toMatchObject({ level: 'warn', connectionId: 'L0SM9cOFvHcCIhw=' });
  });
});

describe('ws-default handler', () => {
  const message = (body: string | null, isBase64Encoded = false) => ({
    requestContext: { connectionId: 'c=', requestId: 'req-4', routeKey: '$default' },
    body,
    isBase64Encoded,
  });

  it('answers ping with a pong frame in the response body', async () => {
    const f = fakeDeps('2025-06-01T12:00:00.000Z');
    const response = await makeWsDefaultHandler(f.provide)(message('{"action":"ping","id":"7"}'));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? '')).toEqual({
      type: 'pong',
      id: '7',
      at: '2025-06-01T12:00:00.000Z',
    });
  });

  it('decodes a base64 body', async () => {
    const f = fakeDeps();
    const body = Buffer.from('{"action":"ping"}').toString('base64');
    const response = await makeWsDefaultHandler(f.provide)(message(body, true));
    expect(JSON.parse(response.body ?? '').type).toBe('pong');
  });

  it('answers a bad frame with an error frame carrying the protocol code', async () => {
    const f = fakeDeps();
    const response = await makeWsDefaultHandler(f.provide)(message('hello'));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? '')).toMatchObject({
      type: 'error',
      error: { code: 'MALFORMED_FRAME' },
    });
    expect(f.logs.entries.at(-1)).toMatchObject({ code: 'MALFORMED_FRAME', connectionId: 'c=' });
  });

  it('answers an empty body with MALFORMED_FRAME', async () => {
    const response = await makeWsDefaultHandler(fakeDeps().provide)(message(null));
    expect(JSON.parse(response.body ?? '')).toMatchObject({
      type: 'error',
      error: { code: 'MALFORMED_FRAME' },
    });
  });

  it('answers subscribe with BAD_REQUEST: not supported by this server version', async () => {
    const response = await makeWsDefaultHandler(fakeDeps().provide)(
      message('{"action":"subscribe","topic":"news"}'),
    );
    expect(JSON.parse(response.body ?? '')).toEqual({
      type: 'error',
      error: { code: 'BAD_REQUEST', message: 'action subscribe is not supported by this server version' },
    });
  });
});
