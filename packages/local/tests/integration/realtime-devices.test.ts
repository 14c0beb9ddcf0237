import { afterAll, describe, expect, it } from 'vitest';
import { DEV_USERS } from '../../src/index.ts';
import { issueToken, stack } from '../support.ts';
import { realtimeFixture } from './realtime-helpers.ts';

// Device registration goes through the REST API as a signed-in dev user. `admin` is used for
// the cap (no other test file registers devices), and every device is removed at the end.
const fixture = realtimeFixture();
const admin = DEV_USERS.find((u) => u.username === 'admin')?.sub ?? '';
const bob = DEV_USERS.find((u) => u.username === 'bob')?.sub ?? '';
afterAll(async () => {
  for (const userId of [admin, bob]) {
    for (const d of await fixture.devices.listByUser(userId, Date.now()))
      await fixture.devices.remove(userId, d.token);
  }
  fixture.close();
});

async function call(method: string, path: string, username: string, body?: unknown) {
  const res = await fetch(`${stack().apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${await issueToken(username)}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>),
  };
}
const tokensOf = async (userId: string) =>
  (await fixture.devices.listByUser(userId, Date.now())).map((d) => d.token).sort();

describe('device registry through the local stack', () => {
  it('registers a device (201), again idempotently (200), and caps devices per user (409)', async () => {
    const first = await call('POST', '/devices', 'admin', { token: 'fcm:admin-0', platform: 'android' });
    expect(first).toMatchObject({ status: 201, body: { platform: 'android', created: true } });
    expect(JSON.stringify(first.body)).not.toContain('fcm:admin-0');
    expect(
      await call('POST', '/devices', 'admin', { token: 'fcm:admin-0', platform: 'android' }),
    ).toMatchObject({
      status: 200,
      body: { created: false },
    });
    for (let i = 1; i < 10; i++) {
      expect(
        (await call('POST', '/devices', 'admin', { token: `fcm:admin-${i}`, platform: 'ios' })).status,
      ).toBe(201);
    }
    const refused = await call('POST', '/devices', 'admin', { token: 'fcm:admin-10', platform: 'web' });
    expect(refused).toEqual({
      status: 409,
      body: {
        code: 'DEVICE_LIMIT_REACHED',
        message: 'This account has registered the maximum number of devices.',
        details: { limit: 10 },
      },
    });
    expect(await tokensOf(admin)).toHaveLength(10);
    expect((await call('POST', '/devices', 'admin', { token: 'fcm:admin-3', platform: 'ios' })).status).toBe(
      200,
    );
  });

  it('deletes only the caller’s own device', async () => {
    expect((await call('POST', '/devices', 'bob', { token: 'fcm:bob-phone', platform: 'ios' })).status).toBe(
      201,
    );
    expect((await call('DELETE', '/devices/fcm%3Abob-phone', 'alice')).status).toBe(404);
    expect(await tokensOf(bob)).toEqual(['fcm:bob-phone']);
    expect((await call('DELETE', '/devices/fcm%3Abob-phone', 'bob')).status).toBe(204);
    expect(await tokensOf(bob)).toEqual([]);
    expect((await call('DELETE', '/devices/fcm%3Abob-phone', 'bob')).status).toBe(404);
  });

  it('refuses a bad body with 400 VALIDATION_FAILED', async () => {
    const res = await call('POST', '/devices', 'bob', { token: 'x', platform: 'blackberry' });
    expect(res).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED' } });
  });
});
