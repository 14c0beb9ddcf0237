import { randomUUID } from 'node:crypto';
import type { SubscribeAction } from '@herald/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeClients, harness } from './support/client.ts';
import { envelope, events, FakeHerald, sleep, waitFor } from './support/fake-herald.ts';

let fake: FakeHerald;
beforeEach(async () => {
  fake = await FakeHerald.start();
});
afterEach(async () => {
  closeClients();
  await fake.close();
});

type JobSubscribe = Extract<SubscribeAction, { jobId: string }>;

/** Job subscriptions the client sent on one connection (or any), in order. */
function jobSubscribes(connection?: number): JobSubscribe[] {
  return fake
    .framesOf('subscribe')
    .filter((f) => 'jobId' in f.frame && (connection === undefined || f.connection === connection))
    .map((f) => f.frame as JobSubscribe);
}

/** A client whose connection is narrowed (an explicit topic subscription), so jobs need `subscribe`. */
async function narrowedClient(options: Parameters<typeof harness>[1] = {}) {
  const h = harness(fake, options);
  h.client.subscribe({ topic: 'files' });
  await waitFor(() => fake.framesOf('subscribe').length === 1, 3000, 'the topic subscription');
  return h;
}

function finishOnUpload(): void {
  fake.onUploaded = (jobId) => {
    fake.publish(events.queued(jobId, 0));
    fake.publish(events.progress(jobId, 1, 50));
    fake.publish(events.succeeded(jobId, 2, 3));
  };
}

describe('upload() and the subscribed acknowledgement', () => {
  it('sends no byte until the server acknowledged the job’s subscription', async () => {
    fake.subscribeReply = 'none';
    finishOnUpload();
    const h = await narrowedClient();
    const upload = h.client.upload(new Uint8Array(64), { dataset: 'transactions', fileName: 'x.csv' });
    const sub = await waitFor(() => jobSubscribes()[0], 3000, 'subscribe');
    expect(sub).toMatchObject({ action: 'subscribe', jobId: upload.jobId, id: expect.any(String) });

    await sleep(150);
    expect(fake.uploadStartedAt.size).toBe(0);
    expect(upload.snapshot.subscribed).toBe(false);
    expect(upload.snapshot.progress).toMatchObject({ phase: 'uploading', bytesSent: 0 });

    const [connection] = fake.open;
    if (!connection) throw new Error('no connection');
    const ackedAt = Date.now();
    fake.acknowledge(connection, sub.jobId, sub.id);
    await expect(upload.done).resolves.toMatchObject({ rowsLoaded: 3 });
    expect(fake.uploadStartedAt.get(upload.jobId ?? '')).toBeGreaterThanOrEqual(ackedAt);
    expect(h.errors).toEqual([]);
  });

  it('sends the bytes right after the acknowledgement, and the job is subscribed from then on', async () => {
    finishOnUpload();
    const h = await narrowedClient();
    const upload = h.client.upload(new Uint8Array(64), { dataset: 'transactions', fileName: 'x.csv' });
    const subscribedBeforeBytes: boolean[] = [];
    upload.on('progress', (p) => {
      if (p.phase === 'uploading' && p.bytesSent > 0) subscribedBeforeBytes.push(upload.snapshot.subscribed);
    });
    await upload.done;
    expect(subscribedBeforeBytes.length).toBeGreaterThan(0);
    expect(subscribedBeforeBytes.every(Boolean)).toBe(true);
    expect(jobSubscribes()).toHaveLength(1);
  });

  it('goes on after subscribeTimeoutMs without an acknowledgement; a late one is harmless', async () => {
    fake.subscribeReply = 'none';
    finishOnUpload();
    const h = await narrowedClient({ subscribeTimeoutMs: 300 });
    const started = Date.now();
    const upload = h.client.upload(new Uint8Array(64), { dataset: 'transactions', fileName: 'x.csv' });
    const result = await upload.done;
    const jobId = result.jobId;
    expect((fake.uploadStartedAt.get(jobId) ?? 0) - started).toBeGreaterThanOrEqual(290);
    // The outcome arrived although the server never acknowledged: progress is best effort.
    expect(upload.snapshot.subscribed).toBe(false);

    const [connection] = fake.open;
    if (!connection) throw new Error('no connection');
    const sub = jobSubscribes()[0];
    fake.acknowledge(connection, jobId, sub?.id);
    fake.acknowledge(connection, jobId);
    await sleep(50);
    expect(h.errors).toEqual([]);
    expect(fake.uploadStartedAt.size).toBe(1);
    expect(fake.requests.filter((r) => r.path === '/uploads')).toHaveLength(1);
    expect(h.client.state).toBe('open');
    await expect(upload.done).resolves.toEqual(result);
  });

  it('goes on at once when the server refuses the job’s subscription, reporting the refusal', async () => {
    fake.subscribeReply = envelope('CONFLICT', 'A connection can hold at most 20 subscriptions.');
    finishOnUpload();
    const h = await narrowedClient({ subscribeTimeoutMs: 10_000 });
    const started = Date.now();
    const upload = h.client.upload(new Uint8Array(64), { dataset: 'transactions', fileName: 'x.csv' });
    await upload.done;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(h.errors).toMatchObject([{ code: 'CONFLICT' }]);
    expect(upload.snapshot.subscribed).toBe(false);
  });

  it('goes on at once when the connection is refused for good', async () => {
    fake.refuseHandshakes.push(401);
    finishOnUpload();
    const h = harness(fake, { subscribeTimeoutMs: 10_000 });
    const started = Date.now();
    const upload = h.client.upload(new Uint8Array(64), { dataset: 'transactions', fileName: 'x.csv' });
    await waitFor(() => fake.uploads.size === 1, 3000, 'the uploaded bytes');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(h.client.state).toBe('closed');
    expect(h.errors).toMatchObject([{ code: 'UNAUTHENTICATED' }]);
    // Connecting again (say, after a new sign-in) resumes the job and brings its outcome.
    h.client.connect();
    await expect(upload.done).resolves.toMatchObject({ rowsLoaded: 3 });
  });

  it('on a connection that receives everything, waits for the socket to open and sends no subscribe', async () => {
    finishOnUpload();
    // The ticket (and so the socket) comes only after POST /uploads has answered.
    fake.hook = async (req) => {
      if (req.path === '/realtime/tickets') await sleep(250);
      return undefined;
    };
    const h = harness(fake);
    const upload = h.client.upload(new Uint8Array(64), { dataset: 'transactions', fileName: 'x.csv' });
    await upload.done;
    const [connection] = fake.connections;
    const createdAt = fake.requests.find((r) => r.path === '/uploads')?.at ?? Number.POSITIVE_INFINITY;
    expect(connection?.openedAt).toBeGreaterThan(createdAt);
    expect(fake.uploadStartedAt.get(upload.jobId ?? '')).toBeGreaterThanOrEqual(connection?.openedAt ?? 0);
    expect(fake.framesOf('subscribe')).toEqual([]);
    expect(h.events.map((e) => e.type)).toEqual(['job.queued', 'job.progress', 'job.succeeded']);
  });
});

describe('follow() and the subscribed state', () => {
  it('is subscribed once the socket opens when nothing narrows the connection', async () => {
    const jobId = randomUUID();
    fake.setJob(jobId);
    const h = harness(fake);
    const handle = h.client.follow(jobId);
    expect(handle.snapshot.subscribed).toBe(false);
    await waitFor(() => handle.snapshot.subscribed, 3000, 'subscribed');
    expect(h.client.state).toBe('open');
  });

  it('on a narrowed connection, is subscribed per acknowledgement, and again after a reconnect', async () => {
    fake.subscribeReply = 'none';
    const jobId = randomUUID();
    fake.setJob(jobId);
    const h = await narrowedClient();
    const handle = h.client.follow(jobId);
    const seen = [handle.snapshot.subscribed];
    handle.on('change', (s) => {
      if (seen.at(-1) !== s.subscribed) seen.push(s.subscribed);
    });
    const first = await waitFor(() => jobSubscribes(0)[0], 3000, 'the first subscribe');
    await sleep(50);
    expect(handle.snapshot.subscribed).toBe(false);
    const [connection] = fake.open;
    if (!connection) throw new Error('no connection');
    fake.acknowledge(connection, jobId, first.id);
    await waitFor(() => handle.snapshot.subscribed, 3000, 'subscribed');

    fake.drop();
    await waitFor(() => !handle.snapshot.subscribed, 3000, 'not subscribed after the drop');
    const again = await waitFor(() => jobSubscribes(1)[0], 3000, 'the subscribe on the new socket');
    expect(again.jobId).toBe(jobId);
    // An acknowledgement of the old socket would not count: only the new socket's does.
    await sleep(50);
    expect(handle.snapshot.subscribed).toBe(false);
    const [reopened] = fake.open;
    if (!reopened) throw new Error('no connection');
    fake.acknowledge(reopened, jobId, again.id);
    await waitFor(() => handle.snapshot.subscribed, 3000, 'subscribed again');
    expect(seen).toEqual([false, true, false, true]);
  });

  it('ignores an acknowledgement for a job the socket did not subscribe to', async () => {
    fake.subscribeReply = 'none';
    const jobId = randomUUID();
    fake.setJob(jobId);
    const h = await narrowedClient();
    const handle = h.client.follow(jobId);
    await waitFor(() => jobSubscribes().length === 1, 3000, 'subscribe');
    const [connection] = fake.open;
    if (!connection) throw new Error('no connection');
    fake.acknowledge(connection, randomUUID());
    await sleep(50);
    expect(handle.snapshot.subscribed).toBe(false);
  });
});
