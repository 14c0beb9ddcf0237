import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { CONNECTIONS_TABLE } from '@herald/realtime/tables';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEV_USERS } from '../../src/index.ts';
import { issueToken, stack } from '../support.ts';

const management = new ApiGatewayManagementApiClient({
  endpoint: stack().managementEndpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const ddb = new DynamoDBClient({
  endpoint: stack().dynamodb.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const doc = DynamoDBDocumentClient.from(ddb);
const sockets: WebSocket[] = [];
afterAll(() => {
  for (const s of sockets) s.terminate();
  management.destroy();
  ddb.destroy();
});

/** Opens a socket offering `herald.v1` plus the JWT as subprotocols, as the SDK does. */
function open(protocols: string[]): Promise<WebSocket> {
  const ws = new WebSocket(stack().wsUrl, protocols);
  sockets.push(ws);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<string> {
  return new Promise((resolve) => ws.once('message', (data) => resolve(data.toString())));
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

/** The user's connection ids, read from the connection table the $connect handler wrote. */
async function connectionIdsOf(userId: string): Promise<string[]> {
  const { Items } = await doc.send(
    new QueryCommand({
      TableName: stack().dynamodb.tables[CONNECTIONS_TABLE.id],
      IndexName: 'byUser',
      KeyConditionExpression: 'userId = :u',
      ExpressionAttributeValues: { ':u': userId },
    }),
  );
  return (Items ?? []).map((i) => i.connectionId as string);
}

/** Opens a socket for a user and finds its id: the one id that appeared in the table. */
async function connectAs(username: string): Promise<{ ws: WebSocket; connectionId: string }> {
  const user = DEV_USERS.find((u) => u.username === username);
  if (!user) throw new Error(username);
  const before = new Set(await connectionIdsOf(user.sub));
  const ws = await open(['herald.v1', await issueToken(username)]);
  const added = (await connectionIdsOf(user.sub)).filter((id) => !before.has(id));
  expect(added).toHaveLength(1);
  return { ws, connectionId: added[0] as string };
}

describe('local WebSocket gateway', () => {
  it('admits a valid JWT and echoes the herald.v1 subprotocol', async () => {
    const ws = await open(['herald.v1', await issueToken('alice')]);
    expect(ws.protocol).toBe('herald.v1');
    ws.send(JSON.stringify({ action: 'ping', id: 'p1' }));
    expect(JSON.parse(await nextMessage(ws))).toMatchObject({ type: 'pong', id: 'p1' });
  });

  it.each([
    ['no credential', async () => ['herald.v1']],
    ['an expired token', async () => ['herald.v1', await issueToken('alice', { expiresIn: -60 })]],
    ['a wrong-audience token', async () => ['herald.v1', await issueToken('alice', { audience: 'other' })]],
  ])('refuses %s at the handshake', async (_name, protocols) => {
    await expect(open(await protocols())).rejects.toThrow(/handshake refused: 40[13]/);
  });

  it('answers a malformed frame with an error frame and stays open', async () => {
    const ws = await open(['herald.v1', await issueToken('bob')]);
    ws.send('{not json');
    const frame = JSON.parse(await nextMessage(ws));
    expect(frame).toMatchObject({ type: 'error', error: { code: 'MALFORMED_FRAME' } });
    ws.send(JSON.stringify({ action: 'ping' }));
    expect(JSON.parse(await nextMessage(ws))).toMatchObject({ type: 'pong' });
  });

  it('delivers POST @connections/{id} to exactly that socket', async () => {
    const a = await connectAs('alice');
    const b = await connectAs('alice');
    const received: string[] = [];
    b.ws.on('message', (d) => received.push(d.toString()));
    const message = nextMessage(a.ws);
    await management.send(
      new PostToConnectionCommand({ ConnectionId: a.connectionId, Data: Buffer.from('{"hello":"a"}') }),
    );
    expect(await message).toBe('{"hello":"a"}');
    expect(received).toEqual([]);
    const info = await management.send(new GetConnectionCommand({ ConnectionId: a.connectionId }));
    expect(info.ConnectedAt).toBeInstanceOf(Date);
  });

  it('answers 410 GoneException for an unknown connection id', async () => {
    await expect(
      management.send(
        new PostToConnectionCommand({ ConnectionId: 'Zm9yZ290dGVuPQ=', Data: Buffer.from('x') }),
      ),
    ).rejects.toBeInstanceOf(GoneException);
  });

  it('closes the socket on DELETE @connections/{id} and $disconnect removes it from the table', async () => {
    const { ws, connectionId } = await connectAs('bob');
    const code = closed(ws);
    await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    expect(await code).toBeGreaterThanOrEqual(1000);
    const bob = DEV_USERS.find((u) => u.username === 'bob')?.sub ?? '';
    await expect.poll(() => connectionIdsOf(bob), { timeout: 5000 }).not.toContain(connectionId);
  });

  it('closes with 1009 when a frame exceeds 128 KB', async () => {
    const ws = await open(['herald.v1', await issueToken('alice')]);
    const code = closed(ws);
    ws.send('x'.repeat(128 * 1024 + 1));
    expect(await code).toBe(1009);
  });
});
