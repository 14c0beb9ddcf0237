import { CreateTicketResponseSchema, RegisterDeviceResponseSchema } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import { hashTicket } from '../../src/core/tickets.ts';
import { StoreError } from '../../src/errors.ts';
import { makeHttpCreateTicketHandler } from '../../src/handlers/http-create-ticket.ts';
import { makeHttpDeleteDeviceHandler } from '../../src/handlers/http-delete-device.ts';
import { makeHttpRegisterDeviceHandler } from '../../src/handlers/http-register-device.ts';
import { fakeDeps } from '../fakes/fake-deps.ts';

const claims = { sub: 'u-1', 'cognito:username': 'ada', 'cognito:groups': '[analysts]' };
const TOKEN = 'fcm:APA91bH-token_1.x';

function httpEvent(
  options: {
    claims?: Record<string, unknown> | null;
    body?: unknown;
    raw?: string;
    base64?: boolean;
    token?: string;
  } = {},
) {
  const text = options.raw ?? (options.body === undefined ? null : JSON.stringify(options.body));
  return {
    requestContext: {
      requestId: 'req-9',
      authorizer: options.claims === null ? null : { claims: options.claims ?? claims },
    },
    body: text !== null && options.base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: options.base64 ?? false,
    pathParameters: options.token === undefined ? null : { token: options.token },
  };
}

describe('http-create-ticket handler', () => {
  it('answers 201 {ticket, expiresAt} in 60 s, storing only the hash, bound to the caller', async () => {
    const f = fakeDeps('2025-06-01T12:00:00.000Z');
    const response = await makeHttpCreateTicketHandler(f.provide)(httpEvent());
    expect(response.statusCode).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = CreateTicketResponseSchema.parse(JSON.parse(response.body));
    expect(body.expiresAt).toBe('2025-06-01T12:01:00.000Z');
    expect(f.tickets.hashes).toEqual([hashTicket(body.ticket)]);
    expect(await f.tickets.take(hashTicket(body.ticket))).toMatchObject({
      userId: 'u-1',
      groups: ['analysts'],
    });
    expect(f.logs.text).not.toContain(body.ticket);
  });

  it('answers 401 without claims and 503 when the table is throttled', async () => {
    const f = fakeDeps();
    expect((await makeHttpCreateTicketHandler(f.provide)(httpEvent({ claims: null }))).statusCode).toBe(401);
    f.tickets.failNextWith(new StoreError('tickets', 'throttled', { retryable: true }));
    const response = await makeHttpCreateTicketHandler(f.provide)(httpEvent());
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
  });
});

describe('http-register-device handler', () => {
  it('answers 201 for a new device and 200 for the same again (idempotent), never echoing the token', async () => {
    const f = fakeDeps('2025-06-01T12:00:00.000Z');
    const handler = makeHttpRegisterDeviceHandler(f.provide);
    const first = await handler(httpEvent({ body: { token: TOKEN, platform: 'android' } }));
    expect(first.statusCode).toBe(201);
    expect(RegisterDeviceResponseSchema.parse(JSON.parse(first.body))).toEqual({
      platform: 'android',
      registeredAt: '2025-06-01T12:00:00.000Z',
      created: true,
    });
    f.clock.advance(1000);
    const again = await handler(httpEvent({ body: { token: TOKEN, platform: 'android' }, base64: true }));
    expect(again.statusCode).toBe(200);
    expect(JSON.parse(again.body)).toMatchObject({
      created: false,
      registeredAt: '2025-06-01T12:00:00.000Z',
    });
    expect(first.body + again.body + f.logs.text).not.toContain(TOKEN);
    expect((await f.devices.listByUser('u-1', f.clock.now())).map((d) => d.token)).toEqual([TOKEN]);
  });

  it('answers 409 DEVICE_LIMIT_REACHED past the cap', async () => {
    const f = fakeDeps(); // cap 3 in fakeDeps
    const handler = makeHttpRegisterDeviceHandler(f.provide);
    for (const n of [1, 2, 3]) {
      expect((await handler(httpEvent({ body: { token: `t${n}`, platform: 'ios' } }))).statusCode).toBe(201);
    }
    const refused = await handler(httpEvent({ body: { token: 't4', platform: 'ios' } }));
    expect(refused.statusCode).toBe(409);
    expect(JSON.parse(refused.body)).toEqual({
      code: 'DEVICE_LIMIT_REACHED',
      message: 'This account has registered the maximum number of devices.',
      details: { limit: 3 },
    });
    expect((await handler(httpEvent({ body: { token: 't2', platform: 'ios' } }))).statusCode).toBe(200);
  });

  it.each([
    ['no body', {}],
    ['not JSON', { raw: 'token=abc' }],
    ['an unknown platform', { body: { token: 'abc', platform: 'windows' } }],
    ['a token with a slash', { body: { token: 'a/b', platform: 'web' } }],
    ['an extra field', { body: { token: 'abc', platform: 'web', userId: 'someone-else' } }],
  ])('answers 400 VALIDATION_FAILED for %s, without echoing values', async (_name, options) => {
    const response = await makeHttpRegisterDeviceHandler(fakeDeps().provide)(httpEvent(options));
    expect(response.statusCode).toBe(400);
    const body = JSON.parse(response.body);
    expect(body).toMatchObject({ code: 'VALIDATION_FAILED', details: { issues: expect.any(Array) } });
    expect(response.body).not.toContain('a/b');
  });

  it('answers 503 when the table is throttled', async () => {
    const f = fakeDeps();
    f.devices.failNextWith(new StoreError('devices', 'throttled', { retryable: true }));
    const response = await makeHttpRegisterDeviceHandler(f.provide)(
      httpEvent({ body: { token: TOKEN, platform: 'web' } }),
    );
    expect(response.statusCode).toBe(503);
  });
});

describe('http-delete-device handler', () => {
  it('deletes the caller’s own device (204), then answers 404', async () => {
    const f = fakeDeps();
    await makeHttpRegisterDeviceHandler(f.provide)(httpEvent({ body: { token: TOKEN, platform: 'web' } }));
    const handler = makeHttpDeleteDeviceHandler(f.provide);
    expect(await handler(httpEvent({ token: TOKEN }))).toMatchObject({ statusCode: 204, body: '' });
    const again = await handler(httpEvent({ token: TOKEN }));
    expect(again.statusCode).toBe(404);
    expect(JSON.parse(again.body)).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('never deletes another user’s device', async () => {
    const f = fakeDeps();
    await makeHttpRegisterDeviceHandler(f.provide)(httpEvent({ body: { token: TOKEN, platform: 'web' } }));
    const bob = { sub: 'u-2', 'cognito:username': 'bob' };
    expect(
      (await makeHttpDeleteDeviceHandler(f.provide)(httpEvent({ claims: bob, token: TOKEN }))).statusCode,
    ).toBe(404);
    expect(await f.devices.listByUser('u-1', f.clock.now())).toHaveLength(1);
  });

  it('answers 400 for a malformed token and 401 without claims', async () => {
    const handler = makeHttpDeleteDeviceHandler(fakeDeps().provide);
    expect((await handler(httpEvent({ token: 'a b' }))).statusCode).toBe(400);
    expect((await handler(httpEvent({}))).statusCode).toBe(400);
    expect((await handler(httpEvent({ claims: null, token: TOKEN }))).statusCode).toBe(401);
  });
});
