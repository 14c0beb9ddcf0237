import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminApi } from '../../src/admin.ts';
import { deviceApi, registerDevice, unregisterDevice } from '../../src/devices.ts';
import { HeraldClientError } from '../../src/index.ts';
import { closeClients, harness } from './support/client.ts';
import { envelope, FakeHerald, waitFor } from './support/fake-herald.ts';

let fake: FakeHerald;
beforeEach(async () => {
  fake = await FakeHerald.start();
});
afterEach(async () => {
  closeClients();
  await fake.close();
});

describe('HeraldClient REST calls', () => {
  it('calls every route with the bearer token and returns the typed body', async () => {
    const { client } = harness(fake);
    const job = fake.setJob('11111111-1111-4111-8111-111111111111', { state: 'failed', rowsRejected: 1 });
    fake.rowErrors.set(job.jobId, [{ line: 2, column: 'amount', reason: 'not a number' }]);

    expect(await client.me()).toEqual({ userId: 'u-1', username: 'alice', groups: ['analysts'] });
    expect((await client.jobs({ limit: 5, cursor: 'abc' })).jobs).toEqual([job]);
    expect(await client.job(job.jobId)).toEqual(job);
    expect((await client.jobErrors(job.jobId)).rowErrors).toEqual([
      { line: 2, column: 'amount', reason: 'not a number' },
    ]);
    expect((await client.createTicket()).ticket).toMatch(/^[\w-]{43}$/);
    expect(await registerDevice(client, 'fcm:token-1', 'android')).toMatchObject({
      platform: 'android',
      created: true,
    });
    await unregisterDevice(client, 'fcm:token/1');
    const upload = await client.createUpload({ dataset: 'transactions', fileName: 'a.csv', sizeBytes: 3 });
    expect(upload.upload.method).toBe('PUT');

    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /me',
      'GET /jobs?limit=5&cursor=abc',
      `GET /jobs/${job.jobId}`,
      `GET /jobs/${job.jobId}/errors`,
      'POST /realtime/tickets',
      'POST /devices',
      'DELETE /devices/fcm%3Atoken%2F1',
      'POST /uploads',
    ]);
    expect(fake.requests.map((r) => r.authorization)).toEqual(
      fake.requests.map((_, i) => `Bearer token-${i + 1}`),
    );
    expect(fake.requests[5]?.body).toEqual({ token: 'fcm:token-1', platform: 'android' });
  });

  it('turns an error envelope into a HeraldClientError with the server’s code', async () => {
    const { client } = harness(fake);
    fake.hook = () => ({
      status: 400,
      body: envelope('VALIDATION_FAILED', 'limit must be a whole number', { issues: [{ path: 'limit' }] }),
    });
    const error = await client.jobs({ limit: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HeraldClientError);
    expect(error).toMatchObject({
      name: 'HeraldClientError',
      code: 'VALIDATION_FAILED',
      status: 400,
      message: 'limit must be a whole number',
      details: { issues: [{ path: 'limit' }] },
      retryable: false,
    });
  });

  it.each([
    [401, { message: 'Unauthorized' }, 'UNAUTHENTICATED', false],
    [403, { message: 'Forbidden' }, 'FORBIDDEN', false],
    [429, { message: 'Too Many Requests' }, 'RATE_LIMITED', true],
    [502, undefined, 'UPSTREAM_UNAVAILABLE', true],
    [504, { message: 'Endpoint request timed out' }, 'UPSTREAM_TIMEOUT', true],
  ])('maps a bare HTTP %i (API Gateway’s own answers) to a code', async (status, body, code, retryable) => {
    const { client } = harness(fake);
    fake.hook = () => ({ status, body });
    await expect(client.me()).rejects.toMatchObject({ code, status, retryable });
  });

  it('reports a success body that is not JSON, or not the right shape, as INVALID_RESPONSE', async () => {
    const { client } = harness(fake);
    fake.hook = () => ({ status: 200, raw: '<html>' });
    await expect(client.me()).rejects.toMatchObject({ code: 'INVALID_RESPONSE', status: 200 });
    fake.hook = () => ({ status: 200, body: { userId: 1 } });
    await expect(client.me()).rejects.toMatchObject({ code: 'INVALID_RESPONSE', message: /field `userId`/ });
  });

  it('reports an unreachable API as NETWORK_ERROR and a slow one as TIMEOUT', async () => {
    const { client } = harness(fake, { requestTimeoutMs: 50 });
    fake.hook = () => new Promise((resolve) => setTimeout(() => resolve({ status: 200, body: {} }), 300));
    await expect(client.me()).rejects.toMatchObject({ code: 'TIMEOUT', retryable: true });
    const unreachable = harness(fake, { apiUrl: 'http://127.0.0.1:1/api' }).client;
    await expect(unreachable.me()).rejects.toMatchObject({ code: 'NETWORK_ERROR', retryable: true });
  });

  it('refuses to call without a token', async () => {
    const { client } = harness(fake, { getToken: async () => undefined });
    await expect(client.me()).rejects.toMatchObject({ code: 'UNAUTHENTICATED', retryable: false });
    expect(fake.requests).toEqual([]);
  });

  it('throws INVALID_ARGUMENT for an empty job id', async () => {
    const { client } = harness(fake);
    await expect(client.job('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => client.follow('')).toThrow(HeraldClientError);
  });
});

describe('HeraldClient.rest', () => {
  const grant = {
    id: '33333333-3333-4333-8333-333333333333',
    pathPrefix: 'reports/',
    group: 'analysts',
    createdBy: 'admin-sub',
    createdAt: '2026-01-02T03:04:05.000Z',
  };

  it('calls every route by name, answering its status and typed body', async () => {
    const { client } = harness(fake);
    fake.hook = (req) => {
      if (req.path === '/admin/grants' && req.method === 'GET')
        return { status: 200, body: { grants: [grant] } };
      if (req.path === '/admin/grants' && req.method === 'POST') return { status: 201, body: grant };
      if (req.path.startsWith('/admin/grants/')) return { status: 204 };
      return undefined;
    };
    const admin = adminApi(client);
    expect(await admin.listGrants()).toEqual({ status: 200, body: { grants: [grant] } });
    const created = await admin.createGrant({ body: { pathPrefix: 'reports/', group: 'analysts' } });
    expect(created).toEqual({ status: 201, body: grant });
    expect(await admin.deleteGrant({ params: { id: grant.id } })).toEqual({
      status: 204,
      body: undefined,
    });
    expect((await client.rest.whoami()).body.username).toBe('alice');
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /admin/grants',
      'POST /admin/grants',
      `DELETE /admin/grants/${grant.id}`,
      'GET /me',
    ]);
    expect(fake.requests[1]?.body).toEqual({ pathPrefix: 'reports/', group: 'analysts' });
  });

  it('keeps the admin and device routes out of client.rest, in adminApi and deviceApi', () => {
    const { client } = harness(fake);
    expect(Object.keys(client.rest).sort()).toEqual([
      'cancelJob',
      'createFileLink',
      'createTicket',
      'createUpload',
      'getJob',
      'getJobErrors',
      'listJobs',
      'whoami',
    ]);
    expect(Object.keys(adminApi(client)).sort()).toEqual([
      'createGrant',
      'createTopicGrant',
      'deleteGrant',
      'deleteTopicGrant',
      'listGrants',
      'listTopicGrants',
      'publishTopicEvent',
    ]);
    expect(Object.keys(deviceApi(client)).sort()).toEqual(['deleteDevice', 'registerDevice']);
  });

  it('refuses adminApi and deviceApi of anything but a client as INVALID_ARGUMENT', () => {
    const notAClient = {} as Parameters<typeof adminApi>[0];
    expect(() => adminApi(notAClient)).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: 'Pass a client made by createHeraldClient.',
      }),
    );
    expect(() => deviceApi(notAClient)).toThrow(HeraldClientError);
  });

  it('refuses to register or unregister a device without a token, before any request', async () => {
    const { client } = harness(fake);
    await expect(registerDevice(client, '')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'registerDevice() needs the FCM token.',
    });
    await expect(unregisterDevice(client, '')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'unregisterDevice() needs the FCM token.',
    });
    expect(fake.requests).toEqual([]);
  });

  it('fills the path template with each parameter URL-encoded, and sends the query', async () => {
    const { client } = harness(fake);
    fake.hook = () => ({ status: 404, body: envelope('NOT_FOUND', 'No such job.') });
    await client.rest.getJob({ params: { id: 'a/b c?' } }).catch(() => undefined);
    fake.hook = undefined;
    await client.rest.listJobs({ query: { limit: 2 } });
    expect(fake.requests.map((r) => r.path)).toEqual(['/jobs/a%2Fb%20c%3F', '/jobs?limit=2']);
  });

  it('refuses a missing path parameter as INVALID_ARGUMENT without a request', async () => {
    const { client } = harness(fake);
    await expect(deviceApi(client).deleteDevice({ params: { token: '' } })).rejects.toMatchObject({
      name: 'HeraldClientError',
      code: 'INVALID_ARGUMENT',
      message: /token/,
    });
    expect(fake.requests).toEqual([]);
  });

  it('refuses a success status the route does not document as INVALID_RESPONSE', async () => {
    const { client } = harness(fake);
    fake.hook = () => ({ status: 201, body: { userId: 'u-1', username: 'alice', groups: [] } });
    await expect(client.rest.whoami()).rejects.toMatchObject({
      code: 'INVALID_RESPONSE',
      message: "The server's GET /me answer is malformed (status 201).",
    });
  });

  it('checks nested fields of an answer', async () => {
    const { client } = harness(fake);
    fake.hook = () => ({ status: 201, body: { jobId: 'j-1', upload: { headers: {} } } });
    await expect(
      client.createUpload({ dataset: 'transactions', fileName: 'a.csv', sizeBytes: 3 }),
    ).rejects.toMatchObject({ code: 'INVALID_RESPONSE', message: /field `method`/ });
  });
});

describe('HeraldClient.getFileLink', () => {
  const link = {
    url: 'http://127.0.0.1:9/files/q3.csv?X-Amz-Signature=abc',
    expiresAt: new Date(Date.now() + 300_000).toISOString(),
    size: 1234,
    contentType: 'text/csv',
    fileName: 'q3.csv',
  };

  it('returns the link the API answers with at once', async () => {
    const { client } = harness(fake);
    fake.hook = (req) => (req.path === '/files/links' ? { status: 200, body: link } : undefined);
    expect(await client.getFileLink('reports/q3.csv')).toEqual(link);
    expect(fake.requests.find((r) => r.path === '/files/links')?.body).toEqual({ path: 'reports/q3.csv' });
  });

  it('waits for the file.ready event after a 202', async () => {
    const { client } = harness(fake);
    fake.hook = (req) => {
      if (req.path !== '/files/links') return undefined;
      setTimeout(() => {
        fake.publish({
          type: 'file.ready',
          requestId: 'req-1',
          seq: 0,
          at: new Date().toISOString(),
          path: 'reports/q3.csv',
          ...link,
        });
      }, 30);
      return { status: 202, body: { requestId: 'req-1' } };
    };
    // The same FileLink a 200 answers with: the event's link and its request id.
    expect(await client.getFileLink('reports/q3.csv')).toEqual({ requestId: 'req-1', ...link });
  });

  it('finds a file.ready event that arrived before the 202 answer', async () => {
    const { client } = harness(fake);
    client.connect();
    await waitFor(() => fake.open.length === 1);
    fake.hook = async (req) => {
      if (req.path !== '/files/links') return undefined;
      fake.publish({
        type: 'file.ready',
        requestId: 'req-2',
        seq: 0,
        at: new Date().toISOString(),
        path: 'p',
        ...link,
      });
      await new Promise((resolve) => setTimeout(resolve, 30));
      return { status: 202, body: { requestId: 'req-2' } };
    };
    expect(await client.getFileLink('p')).toEqual({ requestId: 'req-2', ...link });
  });

  it('times out when the file never becomes ready', async () => {
    const { client } = harness(fake);
    fake.hook = (req) =>
      req.path === '/files/links' ? { status: 202, body: { requestId: 'req-3' } } : undefined;
    await expect(client.getFileLink('p', { timeoutMs: 50 })).rejects.toMatchObject({
      code: 'TIMEOUT',
      details: { requestId: 'req-3' },
    });
  });

  it('subscribes to the files topic while waiting, when the app narrowed the connection', async () => {
    const { client } = harness(fake);
    client.subscribe({ jobId: '22222222-2222-4222-8222-222222222222' });
    fake.hook = (req) =>
      req.path === '/files/links' ? { status: 202, body: { requestId: 'req-4' } } : undefined;
    await client.getFileLink('p', { timeoutMs: 100 }).catch(() => undefined);
    const subscribed = fake.framesOf('subscribe').map((f) => f.frame);
    expect(subscribed).toContainEqual(expect.objectContaining({ topic: 'files' }));
    await waitFor(() =>
      fake.framesOf('unsubscribe').some((f) => 'topic' in f.frame && f.frame.topic === 'files'),
    );
  });
});
