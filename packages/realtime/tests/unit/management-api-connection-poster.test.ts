import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManagementApiConnectionPoster } from '../../src/adapters/management-api-connection-poster.ts';
import { keepAliveAgent } from '../../src/compose/poster.ts';
import { buildSdkPoster } from '../../src/compose/sdk-poster.ts';
import { loadPublisherConfig } from '../../src/config.ts';
import { describeConnectionPosterContract } from '../contracts/connection-poster.contract.ts';
import { type ConnectionsServer, startConnectionsServer } from '../helpers/connections-server.ts';

// The SDK client's adapter (the reference the lean poster is held to) through the same table.
describeConnectionPosterContract('ManagementApiConnectionPoster (AWS SDK client)', (target) => {
  const client = new ApiGatewayManagementApiClient({
    endpoint: target.endpoint,
    region: target.region,
    maxAttempts: 1,
    credentials: target.credentials,
    requestHandler: {
      httpAgent: keepAliveAgent(target.endpoint, 4),
      requestTimeout: target.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  });
  return new ManagementApiConnectionPoster({ client });
});

describe('buildSdkPoster', () => {
  let server: ConnectionsServer;
  beforeAll(async () => {
    server = await startConnectionsServer({ secretAccessKey: 'env-secret' });
  });
  afterAll(() => server.close());
  afterEach(() => vi.unstubAllEnvs());

  it('signs with the credentials of the default chain (the Lambda environment)', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAFROMENV');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'env-secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'env-token');
    vi.stubEnv('AWS_PROFILE', undefined);
    const config = loadPublisherConfig({
      AWS_REGION: server.region,
      HERALD_CONNECTIONS_TABLE: 'c',
      HERALD_DEVICES_TABLE: 'd',
      HERALD_JOB_EVENTS_TABLE: 'j',
      HERALD_WS_MANAGEMENT_ENDPOINT: server.endpoint,
      HERALD_PUSH_OUTBOX_URL: 'http://127.0.0.1:4/_local/pushes',
    });
    server.received.length = 0;
    await buildSdkPoster(config).post('c=', 'hello');
    expect(server.received).toEqual([
      expect.objectContaining({
        body: 'hello',
        scope: expect.stringMatching(/^ASIAFROMENV\//),
        sessionToken: 'env-token',
        signatureValid: true,
      }),
    ]);
  });
});
