import { randomUUID } from 'node:crypto';
import { createElement, type ReactNode } from 'react';
import { renderToString } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HeraldClient, JobSnapshot } from '../../src/index.ts';
import {
  connectionStore,
  HeraldProvider,
  IDLE_JOB,
  jobStore,
  uploadStore,
  useConnectionState,
  useJob,
  useUpload,
} from '../../src/react/index.ts';
import { closeClients, harness } from './support/client.ts';
import { events, FakeHerald, waitFor } from './support/fake-herald.ts';

let fake: FakeHerald;
beforeEach(async () => {
  fake = await FakeHerald.start();
});
afterEach(async () => {
  closeClients();
  await fake.close();
});

function render(client: HeraldClient, Child: () => ReactNode): string {
  return renderToString(createElement(HeraldProvider, { client }, createElement(Child)));
}

function AllHooks(): string {
  const state = useConnectionState();
  const job = useJob('33333333-3333-4333-8333-333333333333');
  const upload = useUpload();
  return `${state}|${job.jobId}|${job.progress.phase}|${upload.progress.phase}|${typeof upload.upload}`;
}

function Orphan(): string {
  return useConnectionState();
}

describe('React hooks (server render)', () => {
  it('render the current state without side effects', () => {
    const { client } = harness(fake);
    const html = render(client, AllHooks);
    expect(html).toBe('idle|33333333-3333-4333-8333-333333333333|pending|pending|function');
    // A server render follows nothing and opens nothing.
    expect(client.state).toBe('idle');
    expect(fake.requests).toEqual([]);
  });

  it('refuse to run outside a provider', () => {
    expect(() => renderToString(createElement(Orphan))).toThrow(/inside <HeraldProvider/);
  });
});

describe('React stores (what the hooks subscribe to)', () => {
  it('connectionStore notifies on every transition', async () => {
    const { client } = harness(fake);
    const store = connectionStore(client);
    const seen: string[] = [];
    const off = store.subscribe(() => seen.push(store.getSnapshot()));
    client.connect();
    await waitFor(() => store.getSnapshot() === 'open');
    off();
    client.close();
    expect(seen).toEqual(['connecting', 'open']);
  });

  it('jobStore follows the job while subscribed and stops after the last unsubscribe', async () => {
    const jobId = randomUUID();
    fake.setJob(jobId, { state: 'processing' });
    const { client } = harness(fake);
    const store = jobStore(client, jobId);
    expect(store.getSnapshot().progress.phase).toBe('pending');
    const snapshots: JobSnapshot[] = [];
    const offA = store.subscribe(() => snapshots.push(store.getSnapshot()));
    const offB = store.subscribe(() => {});
    await waitFor(() => fake.framesOf('resume').length === 1);
    fake.publish(events.progress(jobId, 1, 40));
    await waitFor(() => store.getSnapshot().progress.percent === 40);
    // A new object per change, so React re-renders.
    expect(new Set(snapshots).size).toBe(snapshots.length);
    offA();
    fake.publish(events.progress(jobId, 2, 60));
    await waitFor(() => store.getSnapshot().progress.percent === 60);
    offB();
    fake.publish(events.succeeded(jobId, 3, 7));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(store.getSnapshot().progress.percent).toBe(60);
    // One follow for both subscribers: one resume.
    expect(fake.framesOf('resume')).toHaveLength(1);
  });

  it('jobStore shows whether the job’s events reach the client live (subscribed)', async () => {
    fake.subscribeReply = 'none';
    const jobId = randomUUID();
    fake.setJob(jobId, { state: 'processing' });
    const { client } = harness(fake);
    client.subscribe({ topic: 'files' });
    const store = jobStore(client, jobId);
    const off = store.subscribe(() => {});
    const sub = await waitFor(() => fake.framesOf('subscribe').find((f) => 'jobId' in f.frame));
    expect(store.getSnapshot().subscribed).toBe(false);
    const [connection] = fake.open;
    if (!connection) throw new Error('no connection');
    fake.acknowledge(connection, jobId, sub.frame.id);
    await waitFor(() => store.getSnapshot().subscribed);
    off();
  });

  it('jobStore without a job id stays idle', () => {
    const { client } = harness(fake);
    const store = jobStore(client, undefined);
    const off = store.subscribe(() => {});
    expect(store.getSnapshot()).toBe(IDLE_JOB);
    off();
    expect(client.state).toBe('idle');
  });

  it('uploadStore shows the latest upload from progress to result, and resets', async () => {
    fake.onUploaded = (jobId) => {
      fake.publish(events.queued(jobId, 0));
      fake.publish(events.succeeded(jobId, 1, 2));
    };
    const { client } = harness(fake);
    const store = uploadStore(client);
    const phases: string[] = [];
    store.subscribe(() => phases.push(store.getSnapshot().progress.phase));
    const handle = store.start(new Uint8Array(8), { dataset: 'transactions', fileName: 'x.csv' });
    await handle.done;
    expect(store.getSnapshot().result?.rowsLoaded).toBe(2);
    expect(phases.filter((p, i) => p !== phases[i - 1])).toEqual([
      'pending',
      'uploading',
      'queued',
      'succeeded',
    ]);
    store.reset();
    expect(store.getSnapshot()).toBe(IDLE_JOB);
  });
});
