import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  createHeraldClient,
  type HeraldClient,
  type HeraldEvent,
  JobFailedError,
  type JobProgress,
} from '../../src/index.ts';
import { badCsv, goodCsv, issueToken, stack } from './support.ts';

const clients: HeraldClient[] = [];
afterAll(() => {
  for (const client of clients) client.close();
});

async function client(options: { pollIntervalMs?: number } = {}): Promise<HeraldClient> {
  const token = await issueToken('alice');
  const created = createHeraldClient({
    apiUrl: stack().apiUrl,
    wsUrl: stack().wsUrl,
    getToken: () => token,
    WebSocket,
    ...options,
  });
  clients.push(created);
  return created;
}

describe('client-sdk against the local stack', () => {
  it('opens the WebSocket with a one-time ticket', async () => {
    const herald = await client();
    herald.connect();
    await expect.poll(() => herald.state, { timeout: 10_000 }).toBe('open');
    expect(await herald.me()).toMatchObject({ username: 'alice' });
  });

  it('upload() of a small transactions CSV resolves with the row count', async () => {
    const herald = await client();
    const text = goodCsv(25);
    const upload = herald.upload(new Blob([text], { type: 'text/csv' }), {
      dataset: 'transactions',
      fileName: 'good.csv',
    });
    const phases: JobProgress['phase'][] = [];
    upload.on('progress', (p) => {
      if (phases.at(-1) !== p.phase) phases.push(p.phase);
    });
    const result = await upload.done;
    expect(result).toMatchObject({ jobId: upload.jobId, rowsLoaded: 25, rowsRejected: 0 });
    expect(phases[0]).toBe('uploading');
    expect(phases.at(-1)).toBe('succeeded');
    const view = await herald.job(result.jobId);
    expect(view).toMatchObject({ state: 'succeeded', rowsLoaded: 25, fileName: 'good.csv' });
  });

  it('streams the job’s events over the WebSocket, once each and in order', async () => {
    // Polling slower than the test: the outcome can only arrive over the socket.
    const herald = await client({ pollIntervalMs: 600_000 });
    const seen: HeraldEvent[] = [];
    herald.on('event', (event) => seen.push(event));
    const upload = herald.upload(new Blob([goodCsv(40)]), { dataset: 'transactions', fileName: 'live.csv' });
    const { jobId } = await upload.done;
    const mine = seen.filter((e) => e.type !== 'file.ready' && e.jobId === jobId);
    expect(mine[0]?.type).toBe('job.queued');
    expect(mine.at(-1)?.type).toBe('job.succeeded');
    const seqs = mine.map((e) => e.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    expect(herald.state).toBe('open');
  });

  it('upload() of a bad CSV rejects with the line and column', async () => {
    const herald = await client();
    const upload = herald.upload(new TextEncoder().encode(badCsv()), {
      dataset: 'transactions',
      fileName: 'bad.csv',
    });
    const error = await upload.done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    const failed = error as JobFailedError;
    expect(failed.rowErrors).toContainEqual(expect.objectContaining({ line: 3, column: 'amount' }));
    expect(failed.message).toContain('line 3');
    const view = await herald.job(failed.jobId);
    expect(view.state).toBe('failed');
  });

  it('follow() of a finished job settles from the REST state', async () => {
    const herald = await client();
    const { jobId } = await herald.upload(new Blob([goodCsv(3)]), {
      dataset: 'transactions',
      fileName: 'three.csv',
    }).done;
    const later = await client();
    await expect(later.follow(jobId).done).resolves.toMatchObject({ jobId, rowsLoaded: 3 });
    const { jobs } = await later.jobs({ limit: 5 });
    expect(jobs.map((j) => j.jobId)).toContain(jobId);
  });

  it('refuses an unknown dataset with the server’s code', async () => {
    const herald = await client();
    const upload = herald.upload(new Blob([goodCsv(1)]), { dataset: 'no_such_dataset', fileName: 'x.csv' });
    await expect(upload.done).rejects.toMatchObject({ code: 'UNKNOWN_DATASET', status: 400 });
  });
});
