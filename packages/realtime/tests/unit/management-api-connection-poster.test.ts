import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagementApiConnectionPoster } from '../../src/adapters/management-api-connection-poster.ts';
import { ConnectionGoneError, PostToConnectionError } from '../../src/errors.ts';

// The real SDK client against an in-process HTTP server answering as `@connections` does, so
// the adapter is tested at the vendor's wire surface (status codes and `x-amzn-errortype`).
let server: Server;
let endpoint: string;
const answers = new Map<string, { status: number; type?: string }>();
const received: Array<{ path: string; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      const id = decodeURIComponent((req.url ?? '').split('/').pop() ?? '');
      const answer = answers.get(id) ?? { status: 200 };
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (answer.type) headers['x-amzn-errortype'] = answer.type;
      res.writeHead(answer.status, headers).end(answer.status === 200 ? '' : '{"message":"no"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/local`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function poster() {
  const client = new ApiGatewayManagementApiClient({
    endpoint,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return new ManagementApiConnectionPoster({ client });
}

describe('ManagementApiConnectionPoster', () => {
  it('posts the data to the URL-encoded connection id', async () => {
    received.length = 0;
    await poster().post('L0SM+9c/FvHcCIhw=', '{"type":"pong"}');
    expect(received).toEqual([
      { path: '/local/@connections/L0SM%2B9c%2FFvHcCIhw%3D', body: '{"type":"pong"}' },
    ]);
  });

  it('turns 410 GoneException into ConnectionGoneError for exactly that id', async () => {
    answers.set('gone=', { status: 410, type: 'GoneException' });
    const error = await poster()
      .post('gone=', 'x')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionGoneError);
    expect(error).toMatchObject({ connectionId: 'gone=', retryable: false });
  });

  it.each([
    [429, 'TooManyRequestsException', true],
    [429, 'LimitExceededException', true],
    [500, 'InternalServerErrorException', true],
    [503, undefined, true],
    [403, 'ForbiddenException', false],
    [413, 'PayloadTooLargeException', false],
  ])('turns %i %s into PostToConnectionError (retryable: %s)', async (status, type, retryable) => {
    answers.set('c=', { status, ...(type && { type }) });
    const error = await poster()
      .post('c=', 'x')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PostToConnectionError);
    expect(error).toMatchObject({ connectionId: 'c=', statusCode: status, retryable });
  });

  it('marks an unreachable endpoint retryable', async () => {
    const client = new ApiGatewayManagementApiClient({
      endpoint: 'http://127.0.0.1:1/local',
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const error = await new ManagementApiConnectionPoster({ client })
      .post('c=', 'x')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'PostToConnectionError', retryable: true });
  });
});
