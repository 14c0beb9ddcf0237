import { randomUUID } from 'node:crypto';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { FileLinkPendingSchema, FileReadyEventSchema, queueUrlVariable } from '@herald/protocol';
import {
  buildPublisherDeps,
  CONNECTIONS_TABLE,
  DEVICES_TABLE,
  JOB_EVENTS_TABLE,
  loadPublisherConfig,
} from '@herald/realtime';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { api, fileStack, MiniWebSocket, sleep, srvgw, tokenFor } from './support.ts';

// `file.ready` through the local stack: the handlers publish with @herald/realtime's publisher
// to the user's open WebSockets, or, with none open, as a push (the local outbox records it).
// Alice holds sockets here (other files may too: each test waits for its own requestId). The
// push case needs a user with a device and NO open connection, which no shared dev user can
// promise while other files run, so it uses a user of its own: the request goes onto
// FileFetchQueue exactly as `POST /files/links` queues it for a 202, and the worker publishes.

// The test process's SDK clients use the local servers; dummy credentials keep a developer's
// real AWS profile out of it.
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

const stack = fileStack();
const { dynamodb, managementEndpoint } = inject('stack' as never) as {
  dynamodb: { endpoint: string; tables: Record<string, string> };
  managementEndpoint: string;
};
const run = randomUUID().slice(0, 8);
const written: string[] = [];
const sockets: MiniWebSocket[] = [];
let alice: string;

const isReady = (requestId: string) => (m: Record<string, unknown>) =>
  m.type === 'event' &&
  (m.event as { type?: string; requestId?: string }).type === 'file.ready' &&
  (m.event as { requestId?: string }).requestId === requestId;

async function openAs(token: string): Promise<MiniWebSocket> {
  const ws = await MiniWebSocket.open(stack.wsUrl, ['herald.v1', token]);
  sockets.push(ws);
  expect(ws.protocol).toBe('herald.v1');
  // A ping answered means `$connect` has stored the connection.
  const id = `ping-${randomUUID().slice(0, 8)}`;
  ws.send({ action: 'ping', id });
  await ws.waitFor((m) => m.type === 'pong' && m.id === id);
  return ws;
}

async function pushesFor(userId: string, requestId: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${stack.localUrl}/_local/pushes?userId=${encodeURIComponent(userId)}`);
    const pushes = (await res.json()) as { data: Record<string, string> }[];
    const mine = pushes.filter((p) => p.data.requestId === requestId);
    if (mine.length > 0 || Date.now() > deadline) return mine;
    await sleep(100);
  }
}

beforeAll(async () => {
  alice = await tokenFor('alice');
});
afterAll(async () => {
  for (const ws of sockets) ws.close();
  for (const path of written) await srvgw.remove(path);
});

describe('file.ready through the local stack', () => {
  it('reaches the user’s WebSocket with the same link a 200 answer carries', async () => {
    const ws = await openAs(alice);
    const res = await api(alice, 'POST', '/files/links', { path: 'public/readme.txt' });
    expect(res.status).toBe(200);
    const message = await ws.waitFor(isReady(res.body.requestId));
    const event = FileReadyEventSchema.parse(message.event);
    expect(event).toMatchObject({
      seq: 1,
      path: 'public/readme.txt',
      url: res.body.url,
      size: res.body.size,
    });
  });

  it('answers 202 when the caller will not wait, and the worker’s link arrives on the WebSocket', async () => {
    const path = `reports/it-${run}/later.csv`;
    await srvgw.write(path, 'a,b\n1,2\n');
    written.push(path);
    const ws = await openAs(alice);
    const res = await api(alice, 'POST', '/files/links', { path, waitMs: 0 });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const { requestId } = FileLinkPendingSchema.parse(res.body);
    const event = FileReadyEventSchema.parse((await ws.waitFor(isReady(requestId), 20_000)).event);
    expect(event.path).toBe(path);
    expect(await (await fetch(event.url)).text()).toBe('a,b\n1,2\n');
  }, 30_000);

  it('goes to the push outbox when the user has no open connection', async () => {
    const userId = `it-file-user-${run}`;
    const table = (id: string) => dynamodb.tables[id] ?? '';
    const { devices } = buildPublisherDeps(
      loadPublisherConfig({
        AWS_REGION: 'us-east-1',
        HERALD_CONNECTIONS_TABLE: table(CONNECTIONS_TABLE.id),
        HERALD_DEVICES_TABLE: table(DEVICES_TABLE.id),
        HERALD_JOB_EVENTS_TABLE: table(JOB_EVENTS_TABLE.id),
        HERALD_DYNAMODB_ENDPOINT: dynamodb.endpoint,
        HERALD_WS_MANAGEMENT_ENDPOINT: managementEndpoint,
        HERALD_PUSH_OUTBOX_URL: `${stack.localUrl}/_local/pushes`,
        HERALD_LOG_LEVEL: 'error',
      }),
    );
    const now = Date.now();
    await devices.register(
      {
        userId,
        token: `fcm:it-${run}`,
        platform: 'android',
        registeredAt: now,
        expiresAt: now / 1000 + 3600,
      },
      10,
      now,
    );
    const requestId = randomUUID();
    // What `POST /files/links` sends for a 202 (the URL it reads from HERALD_FILE_FETCH_QUEUE_URL).
    expect(queueUrlVariable('FileFetchQueue')).toBe('HERALD_FILE_FETCH_QUEUE_URL');
    const sqs = new SQSClient({ region: 'us-east-1', endpoint: stack.localUrl });
    try {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: stack.queueUrls.FileFetchQueue,
          MessageBody: JSON.stringify({
            v: 1,
            requestId,
            userId,
            groups: [],
            path: 'public/readme.txt',
            requestedAt: new Date().toISOString(),
          }),
        }),
      );
    } finally {
      sqs.destroy();
    }
    const pushes = await pushesFor(userId, requestId, 20_000);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]?.data).toMatchObject({ type: 'file.ready', requestId, path: 'public/readme.txt' });
    // A push passes through Google and Apple: it never carries the presigned URL.
    expect(JSON.stringify(pushes[0])).not.toContain('X-Amz');
  }, 30_000);
});
