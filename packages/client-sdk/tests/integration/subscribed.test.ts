import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createHeraldClient, type HeraldClient, type HeraldEvent } from '../../src/index.ts';
import { goodCsv, issueToken, stack } from './support.ts';

// The `subscribed` acknowledgement through the local gateway: the real `$default` handler, its
// route response, the connections table in dynalite.

const sockets: WebSocket[] = [];
const clients: HeraldClient[] = [];
afterAll(() => {
  for (const socket of sockets) socket.close();
  for (const client of clients) client.close();
});

type Frame = Record<string, unknown>;

/** A raw socket of a user (one-time ticket), recording every frame it receives. */
async function rawSocket(username: string) {
  const token = await issueToken(username);
  const res = await fetch(`${stack().apiUrl}/realtime/tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(201);
  const { ticket } = (await res.json()) as { ticket: string };
  const ws = new WebSocket(`${stack().wsUrl}?ticket=${encodeURIComponent(ticket)}`, ['herald.v1']);
  sockets.push(ws);
  const frames: Frame[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Frame));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  /** The first frame from `from` on that matches, within a few seconds. */
  const next = async (match: (frame: Frame) => boolean, from = 0): Promise<Frame> => {
    await expect.poll(() => frames.slice(from).some(match), { timeout: 10_000 }).toBe(true);
    return frames.slice(from).find(match) as Frame;
  };
  /** Pings and waits for the pong: every frame the server sent before it has arrived by then. */
  const barrier = async (id: string) => {
    ws.send(JSON.stringify({ action: 'ping', id }));
    await next((f) => f.type === 'pong' && f.id === id);
  };
  return { ws, frames, token, next, barrier };
}

async function sdkClient(options: { subscribeTimeoutMs?: number; pollIntervalMs?: number } = {}) {
  const token = await issueToken('alice');
  const client = createHeraldClient({
    apiUrl: stack().apiUrl,
    wsUrl: stack().wsUrl,
    getToken: () => token,
    WebSocket,
    ...options,
  });
  clients.push(client);
  return client;
}

describe('subscribe is acknowledged through the local gateway', () => {
  it('answers subscribe {jobId} with subscribed once stored, and a repeated subscribe again', async () => {
    const alice = await rawSocket('alice');
    // A job of alice that has no event yet: the log does not know it, the subscription is accepted.
    const created = await fetch(`${stack().apiUrl}/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: 'transactions', fileName: 'later.csv', sizeBytes: 10 }),
    });
    expect(created.status).toBe(201);
    const { jobId } = (await created.json()) as { jobId: string };

    alice.ws.send(JSON.stringify({ action: 'subscribe', id: 'sub-1', jobId }));
    expect(await alice.next((f) => f.id === 'sub-1')).toEqual({ type: 'subscribed', id: 'sub-1', jobId });
    const from = alice.frames.length;
    alice.ws.send(JSON.stringify({ action: 'subscribe', id: 'sub-2', jobId }));
    expect(await alice.next((f) => f.id === 'sub-2', from)).toEqual({
      type: 'subscribed',
      id: 'sub-2',
      jobId,
    });
    await alice.barrier('p-1');
    expect(alice.frames.filter((f) => f.type === 'error')).toEqual([]);
  });

  it('refuses a subscribe to another user’s job with NOT_FOUND and acknowledges nothing', async () => {
    const herald = await sdkClient();
    const { jobId } = await herald.upload(new Blob([goodCsv(3)]), {
      dataset: 'transactions',
      fileName: 'a.csv',
    }).done;
    const bob = await rawSocket('bob');
    bob.ws.send(JSON.stringify({ action: 'subscribe', id: 'steal', jobId }));
    expect(await bob.next((f) => f.id === 'steal')).toMatchObject({
      type: 'error',
      id: 'steal',
      error: { code: 'NOT_FOUND' },
    });
    await bob.barrier('p-2');
    expect(bob.frames.filter((f) => f.type === 'subscribed')).toEqual([]);
  });

  it('upload() on a narrowed connection is subscribed before its bytes go, and its events arrive live', async () => {
    // Without the acknowledgement the upload would wait the full minute (and the test time out);
    // without the subscription the narrowed connection would not receive the job's events.
    const herald = await sdkClient({ subscribeTimeoutMs: 60_000, pollIntervalMs: 600_000 });
    herald.subscribe({ topic: 'files' });
    const seen: HeraldEvent[] = [];
    herald.on('event', (event) => seen.push(event));
    const upload = herald.upload(new Blob([goodCsv(50)]), {
      dataset: 'transactions',
      fileName: 'narrow.csv',
    });
    const subscribedWhileSending: boolean[] = [];
    upload.on('progress', (p) => {
      if (p.phase === 'uploading' && p.bytesSent > 0) subscribedWhileSending.push(upload.snapshot.subscribed);
    });
    const { jobId } = await upload.done;
    expect(subscribedWhileSending.length).toBeGreaterThan(0);
    expect(subscribedWhileSending.every(Boolean)).toBe(true);
    const mine = seen.filter((e) => e.type !== 'file.ready' && e.jobId === jobId).map((e) => e.type);
    expect(mine[0]).toBe('job.queued');
    expect(mine.at(-1)).toBe('job.succeeded');
  });
});
