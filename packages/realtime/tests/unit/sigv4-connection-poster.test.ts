import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SigV4ConnectionPoster } from '../../src/adapters/sigv4-connection-poster.ts';
import { buildPoster, keepAliveAgent } from '../../src/compose/poster.ts';
import { loadPublisherConfig } from '../../src/config.ts';
import { describeConnectionPosterContract } from '../contracts/connection-poster.contract.ts';
import { type ConnectionsServer, startConnectionsServer } from '../helpers/connections-server.ts';

describeConnectionPosterContract(
  'SigV4ConnectionPoster (lean)',
  (target) =>
    new SigV4ConnectionPoster({
      endpoint: target.endpoint,
      region: target.region,
      credentials: target.credentials,
      agent: keepAliveAgent(target.endpoint, 4),
      requestTimeoutMs: target.requestTimeoutMs,
    }),
);

describe('SigV4ConnectionPoster', () => {
  let server: ConnectionsServer;
  beforeAll(async () => {
    server = await startConnectionsServer({ secretAccessKey: 'env-secret' });
  });
  afterAll(() => server.close());
  afterEach(() => vi.unstubAllEnvs());

  const config = () =>
    loadPublisherConfig({
      AWS_REGION: server.region,
      HERALD_CONNECTIONS_TABLE: 'c',
      HERALD_DEVICES_TABLE: 'd',
      HERALD_JOB_EVENTS_TABLE: 'j',
      HERALD_WS_MANAGEMENT_ENDPOINT: server.endpoint,
      HERALD_PUSH_OUTBOX_URL: 'http://127.0.0.1:4/_local/pushes',
    });

  it('signs with the credentials of the default chain when built by compose (the Lambda environment)', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAFROMENV');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'env-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'env-token');
    vi.stubEnv('AWS_PROFILE', undefined);
    server.received.length = 0;
    await buildPoster(config()).post('c=', 'hello');
    expect(server.received).toEqual([
      expect.objectContaining({
        body: 'hello',
        scope: expect.stringMatching(/^ASIAFROMENV\/\d{8}\/eu-west-1\/execute-api\//),
        sessionToken: 'env-token',
        signatureValid: true,
      }),
    ]);
  });

  it('asks its credential provider before each signature, so rotated credentials are used', async () => {
    let key = 'ASIAFIRST';
    const credentials = vi.fn(async () => ({ accessKeyId: key, secretAccessKey: 'env-secret' }));
    const poster = new SigV4ConnectionPoster({
      endpoint: server.endpoint,
      region: server.region,
      credentials,
      agent: keepAliveAgent(server.endpoint, 1),
    });
    server.received.length = 0;
    await poster.post('a=', 'x');
    key = 'ASIASECOND';
    await poster.post('b=', 'x');
    expect(server.received.map((r) => [r.scope.split('/')[0], r.signatureValid])).toEqual([
      ['ASIAFIRST', true],
      ['ASIASECOND', true],
    ]);
    expect(credentials).toHaveBeenCalledTimes(2);
  });

  it('posts to an endpoint whose stage path ends with a slash', async () => {
    server.received.length = 0;
    const poster = new SigV4ConnectionPoster({
      endpoint: `${server.endpoint}/`,
      region: server.region,
      credentials: { accessKeyId: 'ASIAX', secretAccessKey: 'env-secret' },
      agent: keepAliveAgent(server.endpoint, 1),
    });
    await poster.post('c=', 'x');
    expect(server.received).toEqual([
      expect.objectContaining({ path: '/local/@connections/c%3D', signatureValid: true }),
    ]);
  });
});
