import { describe, expect, it } from 'vitest';
import { issueTicket } from '../../src/core/tickets.ts';
import {
  AuthenticationError,
  ConnectionStoreError,
  IdentityProviderUnavailableError,
  StoreError,
} from '../../src/errors.ts';
import { makeWsAuthorizeHandler } from '../../src/handlers/ws-authorize.ts';
import { makeWsConnectHandler } from '../../src/handlers/ws-connect.ts';
import { makeWsDefaultHandler } from '../../src/handlers/ws-default.ts';
import { DISCONNECT_DELETE_BACKOFF, makeWsDisconnectHandler } from '../../src/handlers/ws-disconnect.ts';
import type { ConnectionRecord } from '../../src/ports.ts';
import { countingBytes, fakeDeps } from '../fakes/fake-deps.ts';
import { InMemoryConnectLimiter } from '../fakes/in-memory-connect-limiter.ts';
import { events, JOB_A } from '../helpers/events.ts';

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

  it('refuses an address over its $connect attempts per minute before verifying or consuming anything', async () => {
    const f = fakeDeps();
    f.tokens.accept(JWT, ada);
    const limiter = new InMemoryConnectLimiter(2);
    const handler = makeWsAuthorizeHandler(() => ({ ...f.provide(), connectLimiter: limiter }));
    const from = (
      sourceIp: string,
      headers: Record<string, string>,
      query: Record<string, string> | null = null,
    ) => {
      const event = authorizerEvent(headers, query);
      return { ...event, requestContext: { ...event.requestContext, identity: { sourceIp } } };
    };
    const jwt = { 'Sec-WebSocket-Protocol': `herald.v1, ${JWT}` };
    await handler(from('203.0.113.7', jwt));
    await handler(from('203.0.113.7', jwt));
    await expect(handler(from('203.0.113.7', jwt))).rejects.toThrow(/^Unauthorized$/);
    expect(f.tokens.verified).toEqual([JWT, JWT]);
    expect(f.logs.entries.at(-1)).toMatchObject({ level: 'warn', reason: 'rate-limited' });
    // A ticket offered from the refused address stays valid for a later attempt.
    const { ticket, record } = issueTicket({ identity: ada, now: f.clock.now(), randomBytes: countingBytes });
    await f.tickets.put(record);
    await expect(handler(from('203.0.113.7', {}, { ticket }))).rejects.toThrow(/^Unauthorized$/);
    expect(await f.tickets.take(record.ticketHash)).toEqual(record);
    // Another address has its own allowance.
    await expect(handler(from('198.51.100.9', jwt))).resolves.toMatchObject({ principalId: 'u-1' });
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

  it('admits a valid ticket once, as its user, without asking the token verifier', async () => {
    const f = fakeDeps();
    const { ticket, record } = issueTicket({ identity: ada, now: f.clock.now(), randomBytes: countingBytes });
    await f.tickets.put(record);
    const handler = makeWsAuthorizeHandler(f.provide);
    const policy = await handler(authorizerEvent({}, { ticket }));
    expect(policy.principalId).toBe('u-1');
    expect(policy.context).toEqual({ userId: 'u-1', username: 'ada', groups: 'admins,analysts' });
    expect(f.tokens.verified).toEqual([]);
    await expect(handler(authorizerEvent({}, { ticket }))).rejects.toThrow(/^Unauthorized$/);
    expect(f.logs.entries.at(-1)).toMatchObject({ reason: 'invalid', credentialKind: 'ticket' });
    expect(f.logs.text).not.toContain(ticket);
  });

  it('prefers the ticket over a JWT offered next to it', async () => {
    const f = fakeDeps();
    f.tokens.accept(JWT, { ...ada, userId: 'u-jwt' });
    const { ticket, record } = issueTicket({ identity: ada, now: f.clock.now(), randomBytes: countingBytes });
    await f.tickets.put(record);
    const event = authorizerEvent({ 'Sec-WebSocket-Protocol': `herald.v1, ${JWT}` }, { ticket });
    expect((await makeWsAuthorizeHandler(f.provide)(event)).principalId).toBe('u-1');
    expect(f.tokens.verified).toEqual([]);
  });

  it.each([
    ['expired', 61_000, 'expired'],
    ['unknown', 0, 'invalid'],
  ])('refuses an %s ticket with 401', async (_name, advanceMs, reason) => {
    const f = fakeDeps();
    const { ticket, record } = issueTicket({ identity: ada, now: f.clock.now(), randomBytes: countingBytes });
    if (reason === 'expired') await f.tickets.put(record);
    f.clock.advance(advanceMs);
    await expect(makeWsAuthorizeHandler(f.provide)(authorizerEvent({}, { ticket }))).rejects.toThrow(
      /^Unauthorized$/,
    );
    expect(f.logs.entries.at(-1)).toMatchObject({ level: 'warn', reason });
  });

  it('fails (not 401) when the tickets table is unreachable, so the client retries', async () => {
    const f = fakeDeps();
    f.tickets.failNextWith(new StoreError('tickets', 'throttled', { retryable: true }));
    const ticket = Buffer.alloc(32, 1).toString('base64url');
    await expect(makeWsAuthorizeHandler(f.provide)(authorizerEvent({}, { ticket }))).rejects.toBeInstanceOf(
      StoreError,
    );
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

  it('retries a retryable failure with backoff, so a transient one leaves no stale item', async () => {
    const f = fakeDeps();
    f.connections.failNextWith(new ConnectionStoreError('throttled', { retryable: true }));
    const delays: number[] = [];
    const handler = makeWsDisconnectHandler(f.provide, {
      sleep: async (ms) => void delays.push(ms),
      random: () => 0.5,
    });
    expect(await handler(event)).toEqual({ statusCode: 200 });
    expect(f.connections.deleted).toEqual(['L0SM9cOFvHcCIhw=']);
    expect(delays).toEqual([50]);
    expect(f.logs.entries.at(-1)).toMatchObject({
      level: 'info',
      message: 'connection deleted',
      attempts: 2,
    });
  });

  it('answers 200 and logs when the delete keeps failing, or fails for good (TTL cleans up)', async () => {
    const f = fakeDeps();
    let calls = 0;
    const failing = (error: Error) => () => ({
      log: f.provide().log,
      topicSubscriptions: f.topicSubscriptions,
      connections: {
        put: (connection: ConnectionRecord) => f.connections.put(connection),
        listByUser: (userId: string, now: number) => f.connections.listByUser(userId, now),
        delete: async () => {
          calls++;
          throw error;
        },
      },
    });
    const sleep = async () => {};
    const down = new ConnectionStoreError('down', { retryable: true });
    expect(await makeWsDisconnectHandler(failing(down), { sleep })(event)).toEqual({ statusCode: 200 });
    expect(calls).toBe(DISCONNECT_DELETE_BACKOFF.maxAttempts);
    expect(f.logs.entries.at(-1)).toMatchObject({
      level: 'warn',
      connectionId: 'L0SM9cOFvHcCIhw=',
      attempts: DISCONNECT_DELETE_BACKOFF.maxAttempts,
    });

    calls = 0;
    const denied = new ConnectionStoreError('access denied', { retryable: false });
    expect(await makeWsDisconnectHandler(failing(denied), { sleep })(event)).toEqual({ statusCode: 200 });
    expect(calls).toBe(1);
    expect(f.logs.entries.at(-1)).toMatchObject({ level: 'warn', attempts: 1 });
  });
});

describe('ws-default handler', () => {
  const message = (
    body: string | null,
    isBase64Encoded = false,
    authorizer: Record<string, unknown> | null = {
      userId: 'u-1',
      username: 'ada',
      groups: '',
      principalId: 'u-1',
    },
  ) => ({
    requestContext: { connectionId: 'c=', requestId: 'req-4', routeKey: '$default', authorizer },
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

  it('subscribes the sender’s own connection to a per-user view, answering with a subscribed frame naming it', async () => {
    const f = fakeDeps();
    const now = f.clock.now();
    await f.connections.put({
      connectionId: 'c=',
      userId: 'u-1',
      connectedAt: now,
      expiresAt: now / 1000 + 60,
    });
    const response = await makeWsDefaultHandler(f.provide)(message('{"action":"subscribe","topic":"files"}'));
    expect(response).toEqual({
      statusCode: 200,
      body: JSON.stringify({ type: 'subscribed', topic: 'files' }),
    });
    expect((await f.connections.listByUser('u-1', now))[0]?.subscriptions).toEqual(['topic:files']);
  });

  it('answers a job subscribe with a subscribed frame in the response body, as it answers ping', async () => {
    const f = fakeDeps();
    const now = f.clock.now();
    await f.connections.put({
      connectionId: 'c=',
      userId: 'u-1',
      connectedAt: now,
      expiresAt: now / 1000 + 60,
    });
    const subscribe = message(`{"action":"subscribe","id":"s-1","jobId":"${JOB_A}"}`);
    for (const _ of [1, 2]) {
      const response = await makeWsDefaultHandler(f.provide)(subscribe);
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body ?? '')).toEqual({ type: 'subscribed', id: 's-1', jobId: JOB_A });
    }
    expect((await f.connections.listByUser('u-1', now))[0]?.subscriptions).toEqual([`job:${JOB_A}`]);
    expect(f.poster.delivered('c=')).toEqual([]);
  });

  it('refuses a subscribe to another user’s job with an error frame and no acknowledgement', async () => {
    const f = fakeDeps();
    const now = f.clock.now();
    await f.connections.put({
      connectionId: 'c=',
      userId: 'u-1',
      connectedAt: now,
      expiresAt: now / 1000 + 60,
    });
    await f.eventLog.append('u-2', events(JOB_A).queued, now / 1000 + 60);
    const response = await makeWsDefaultHandler(f.provide)(
      message(`{"action":"subscribe","id":"s-2","jobId":"${JOB_A}"}`),
    );
    expect(JSON.parse(response.body ?? '')).toEqual({
      type: 'error',
      id: 's-2',
      error: { code: 'NOT_FOUND', message: `You have no job ${JOB_A}.` },
    });
    expect((await f.connections.listByUser('u-1', now))[0]?.subscriptions ?? []).toEqual([]);
    expect(f.poster.delivered('c=')).toEqual([]);
  });

  it('replays through @connections to the sender for resume', async () => {
    const f = fakeDeps();
    await f.eventLog.append('u-1', events(JOB_A).queued, f.clock.now() / 1000 + 60);
    const response = await makeWsDefaultHandler(f.provide)(
      message(`{"action":"resume","jobId":"${JOB_A}","afterSeq":-1}`),
    );
    expect(response).toEqual({ statusCode: 200 });
    expect(f.poster.delivered('c=').map((d) => JSON.parse(d).type)).toEqual(['event', 'resumed']);
  });

  it('logs a failure and answers UPSTREAM_UNAVAILABLE', async () => {
    const f = fakeDeps();
    f.eventLog.failNextWith(new StoreError('jobEvents', 'throttled', { retryable: true }));
    const response = await makeWsDefaultHandler(f.provide)(
      message(`{"action":"resume","id":"r","jobId":"${JOB_A}","afterSeq":-1}`),
    );
    expect(JSON.parse(response.body ?? '')).toMatchObject({
      id: 'r',
      error: { code: 'UPSTREAM_UNAVAILABLE' },
    });
    expect(f.logs.entries.at(-1)).toMatchObject({ level: 'error', action: 'resume', connectionId: 'c=' });
  });

  it('refuses a message that arrives without the authorizer identity', async () => {
    const response = await makeWsDefaultHandler(fakeDeps().provide)(
      message('{"action":"ping"}', false, null),
    );
    expect(response.statusCode).toBe(401);
  });
});
