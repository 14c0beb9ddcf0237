import { randomUUID } from 'node:crypto';
import type { PerUserView, ResumeAction } from '@herald/protocol';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { type JobEvent, JobFailedError, type SubscriptionTarget } from '../../src/index.ts';
import { OPEN_POLL_EVERY } from '../../src/options.ts';
import { closeClients, harness } from './support/client.ts';
import { events, FakeHerald, sleep, waitFor } from './support/fake-herald.ts';

let fake: FakeHerald;
beforeEach(async () => {
  fake = await FakeHerald.start();
});
afterEach(async () => {
  closeClients();
  vi.unstubAllGlobals();
  await fake.close();
});

/** Collects a handle's events through its async iterator, as a caller would. */
function collect(iterable: AsyncIterable<JobEvent>): { seqs: number[]; done: Promise<void> } {
  const seqs: number[] = [];
  const done = (async () => {
    for await (const event of iterable) seqs.push(event.seq);
  })();
  return { seqs, done };
}

function resumeFrames(connection: number): ResumeAction[] {
  return fake
    .framesOf('resume')
    .filter((f) => f.connection === connection)
    .map((f) => f.frame as ResumeAction);
}

describe('HeraldClient resume and resync', () => {
  it('delivers exactly the missed events once after a reconnect, in seq order', async () => {
    const jobId = randomUUID();
    fake.setJob(jobId, { state: 'processing' });
    const h = harness(fake);
    const handle = h.client.follow(jobId);
    const seen = collect(handle);
    await waitFor(() => resumeFrames(0).length === 1 && fake.open.length === 1);
    expect(resumeFrames(0)[0]?.afterSeq).toBe(-1);
    fake.publish(events.queued(jobId, 0));
    fake.publish(events.progress(jobId, 1, 10));
    await waitFor(() => seen.seqs.length === 2);

    fake.answerResume = false;
    fake.drop();
    // Published while the client is away: only the log has them.
    fake.publish(events.progress(jobId, 2, 20));
    fake.publish(events.progress(jobId, 3, 30));
    await waitFor(
      () => resumeFrames(1).length === 1 && fake.open.length === 1,
      3000,
      'resume on the new socket',
    );
    const resume = resumeFrames(1)[0] as ResumeAction;
    expect(resume.afterSeq).toBe(1);

    // The worst the network can do: a live event before the replay, a duplicate of an event the
    // client already has, the replay out of order and twice, then `resumed`.
    const [connection] = fake.open;
    if (!connection) throw new Error('no connection');
    const send = (event: ReturnType<typeof events.progress>) =>
      fake.send(connection, { type: 'event', event });
    fake.publish(events.progress(jobId, 4, 40));
    send(events.progress(jobId, 1, 10));
    send(events.progress(jobId, 3, 30));
    send(events.progress(jobId, 2, 20));
    send(events.progress(jobId, 3, 30));
    fake.send(connection, { type: 'resumed', id: resume.id, jobId, lastSeq: 4 });
    fake.publish(events.succeeded(jobId, 5, 42));
    fake.publish(events.succeeded(jobId, 5, 42));

    await expect(handle.done).resolves.toEqual({ jobId, rowsLoaded: 42, rowsRejected: 0, durationMs: 1234 });
    await seen.done;
    expect(seen.seqs).toEqual([0, 1, 2, 3, 4, 5]);
    expect(h.events.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    // After the resume, the job was resynced over REST.
    await waitFor(() =>
      fake.requests.some((r) => r.path === `/jobs/${jobId}` && r.at >= (fake.connections[1]?.openedAt ?? 0)),
    );
  });

  it('holds live events back during a resume so none is lost to an early higher seq', async () => {
    const jobId = randomUUID();
    fake.setJob(jobId);
    fake.answerResume = false;
    const h = harness(fake);
    const handle = h.client.follow(jobId);
    const seen = collect(handle);
    await waitFor(() => resumeFrames(0).length === 1);
    const [connection] = fake.open;
    if (!connection) throw new Error('no connection');
    fake.publish(events.progress(jobId, 7, 70));
    await sleep(30);
    expect(seen.seqs).toEqual([]);
    fake.send(connection, { type: 'event', event: events.queued(jobId, 0) });
    fake.send(connection, { type: 'event', event: events.progress(jobId, 6, 60) });
    fake.send(connection, { type: 'resumed', id: resumeFrames(0)[0]?.id, jobId, lastSeq: 6 });
    await waitFor(() => seen.seqs.length === 3);
    expect(seen.seqs).toEqual([0, 6, 7]);
    expect(handle.snapshot.progress).toMatchObject({ phase: 'processing', percent: 70 });
  });

  it('falls back to REST when the replay misses an event the server says it sent', async () => {
    const jobId = randomUUID();
    fake.setJob(jobId, { state: 'processing' });
    fake.answerResume = false;
    const h = harness(fake);
    const handle = h.client.follow(jobId);
    await waitFor(() => resumeFrames(0).length === 1);
    const [connection] = fake.open;
    if (!connection) throw new Error('no connection');
    const before = fake.requests.length;
    fake.setJob(jobId, { state: 'succeeded', rowsLoaded: 9, finishedAt: new Date().toISOString() });
    fake.send(connection, { type: 'event', event: events.queued(jobId, 0) });
    fake.send(connection, { type: 'resumed', id: resumeFrames(0)[0]?.id, jobId, lastSeq: 3 });
    const result = await handle.done;
    expect(result.rowsLoaded).toBe(9);
    expect(fake.requests.slice(before).map((r) => r.path)).toContain(`/jobs/${jobId}`);
    // The terminal event rebuilt from REST continues the job's seq.
    expect(h.events.map((e) => [e.type, e.seq])).toEqual([
      ['job.queued', 0],
      ['job.succeeded', 1],
    ]);
  });

  it('falls back to REST when the server refuses the resume', async () => {
    const jobId = randomUUID();
    fake.setJob(jobId, { state: 'processing' });
    fake.answerResume = false;
    const h = harness(fake);
    const handle = h.client.follow(jobId);
    await waitFor(() => resumeFrames(0).length === 1);
    const [connection] = fake.open;
    if (!connection) throw new Error('no connection');
    fake.setJob(jobId, {
      state: 'failed',
      error: { code: 'INVALID_VALUE', message: 'A value does not fit.' },
    });
    fake.rowErrors.set(jobId, [{ line: 3, column: 'amount', reason: '`12,5` is not a number' }]);
    fake.send(connection, {
      type: 'error',
      id: resumeFrames(0)[0]?.id,
      error: { code: 'UPSTREAM_UNAVAILABLE', message: 'A service we depend on is unavailable.' },
    });
    const error = await handle.done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    expect((error as JobFailedError).rowErrors).toEqual([
      { line: 3, column: 'amount', reason: '`12,5` is not a number' },
    ]);
    expect(h.errors.map((e) => e.code)).toEqual(['UPSTREAM_UNAVAILABLE']);
  });

  it('delivers held events after the resume timeout when no resumed frame comes', async () => {
    const jobId = randomUUID();
    fake.setJob(jobId);
    fake.answerResume = false;
    const h = harness(fake, { resumeTimeoutMs: 60 });
    const handle = h.client.follow(jobId);
    await waitFor(() => resumeFrames(0).length === 1);
    fake.publish(events.progress(jobId, 2, 20));
    await sleep(20);
    expect(handle.snapshot.progress.percent).toBe(0);
    await waitFor(() => handle.snapshot.progress.percent === 20, 1000, 'held event');
  });

  it('settles follow() of a finished job from REST', async () => {
    const jobId = randomUUID();
    fake.setJob(jobId, { state: 'succeeded', rowsLoaded: 120, rowsRejected: 0 });
    const h = harness(fake);
    const handle = h.client.follow(jobId);
    await expect(handle.done).resolves.toMatchObject({ jobId, rowsLoaded: 120 });
    const seen = collect(handle.events());
    await seen.done;
    expect(seen.seqs).toEqual([0]);
    expect(handle.snapshot.job?.state).toBe('succeeded');
  });

  it('fails follow() of a job that does not exist with NOT_FOUND', async () => {
    const h = harness(fake);
    const handle = h.client.follow(randomUUID());
    await expect(handle.done).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    await expect(handle.events().next()).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('iterates from the call on: every progress change before the first next() is kept', async () => {
    const jobId = randomUUID();
    fake.setJob(jobId, { state: 'queued' });
    const h = harness(fake);
    const handle = h.client.follow(jobId);
    await waitFor(() => resumeFrames(0).length === 1 && handle.snapshot.job !== undefined);
    const progress = handle.progress();
    const jobEvents = handle.events();
    fake.publish(events.progress(jobId, 1, 10));
    fake.publish(events.progress(jobId, 2, 20));
    fake.publish(events.succeeded(jobId, 3, 30));
    await handle.done;
    const percents: number[] = [];
    for await (const p of progress) percents.push(p.percent);
    expect(percents).toEqual([0, 10, 20, 100]);
    const seqs: number[] = [];
    for await (const event of jobEvents) seqs.push(event.seq);
    expect(seqs).toEqual([1, 2, 3]);
  });

  it('ends an iterator at once on return(), even while a next() waits', async () => {
    const jobId = randomUUID();
    fake.setJob(jobId, { state: 'processing' });
    const h = harness(fake);
    const handle = h.client.follow(jobId);
    const iterator = handle.events();
    const waiting = iterator.next();
    await expect(iterator.return?.()).resolves.toMatchObject({ done: true });
    await expect(waiting).resolves.toEqual({ value: undefined, done: true });
    await waitFor(() => resumeFrames(0).length === 1);
    fake.publish(events.progress(jobId, 1, 10));
    await waitFor(() => handle.snapshot.progress.percent === 10);
    await expect(iterator.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('throws the failure to an event iterator already waiting, once, then ends it', async () => {
    const h = harness(fake);
    const handle = h.client.follow(randomUUID());
    const events = handle.events();
    const waiting = events.next();
    await expect(waiting).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(events.next()).resolves.toEqual({ value: undefined, done: true });
  });

  it('polls REST while the WebSocket cannot connect', async () => {
    const jobId = randomUUID();
    fake.setJob(jobId, { state: 'processing' });
    fake.refuseHandshakes.push(...Array.from({ length: 50 }, () => 503));
    const h = harness(fake, { pollIntervalMs: 40, minReconnectDelayMs: 200, maxReconnectDelayMs: 400 });
    const handle = h.client.follow(jobId);
    await waitFor(() => handle.snapshot.progress.phase === 'processing');
    fake.setJob(jobId, { state: 'succeeded', rowsLoaded: 3 });
    await expect(handle.done).resolves.toMatchObject({ rowsLoaded: 3 });
    expect(h.client.state).not.toBe('open');
  });

  it('still checks unfinished followed jobs over REST now and then while the socket is open', async () => {
    const jobId = randomUUID();
    fake.setJob(jobId, { state: 'processing' });
    const h = harness(fake, { pollIntervalMs: 20 });
    h.client.connect();
    await waitFor(() => h.client.state === 'open');
    const handle = h.client.follow(jobId);
    await waitFor(() => handle.snapshot.progress.phase === 'processing');
    // The terminal event was lost on the way (never published to this socket): REST finds it.
    fake.setJob(jobId, { state: 'succeeded', rowsLoaded: 7 });
    await expect(handle.done).resolves.toMatchObject({ rowsLoaded: 7 });
    expect(h.client.state).toBe('open');
    // Finished: no more polling for it.
    const polls = fake.requests.length;
    await sleep(20 * OPEN_POLL_EVERY * 3);
    expect(fake.requests.length).toBe(polls);
  });

  it('follows jobs over REST alone when there is no WebSocket implementation', async () => {
    vi.stubGlobal('WebSocket', undefined);
    const jobId = randomUUID();
    fake.setJob(jobId, { state: 'processing' });
    const h = harness(fake, { WebSocket: undefined, pollIntervalMs: 30 });
    expect(() => h.client.connect()).toThrow(/No WebSocket class: pass options.WebSocket/);
    const handle = h.client.follow(jobId);
    await waitFor(() => fake.requests.length >= 2);
    fake.setJob(jobId, { state: 'succeeded', rowsLoaded: 1 });
    await expect(handle.done).resolves.toMatchObject({ rowsLoaded: 1 });
    expect(h.client.state).toBe('idle');
  });

  it('sends no subscription for followed jobs unless the app narrowed the connection', async () => {
    const jobId = randomUUID();
    fake.setJob(jobId);
    const h = harness(fake);
    h.client.follow(jobId);
    await waitFor(() => resumeFrames(0).length === 1);
    expect(fake.framesOf('subscribe')).toEqual([]);

    const off = h.client.subscribe({ topic: 'jobs' });
    await waitFor(() => fake.framesOf('subscribe').length === 2);
    expect(fake.framesOf('subscribe').map((f) => f.frame)).toEqual([
      expect.objectContaining({ topic: 'jobs' }),
      expect.objectContaining({ jobId }),
    ]);
    fake.drop();
    await waitFor(() => fake.framesOf('subscribe').filter((f) => f.connection === 1).length === 2, 3000);
    await waitFor(() => resumeFrames(1).length === 1);
    off();
    await waitFor(() => fake.framesOf('unsubscribe').length === 2);
  });

  it('types subscribe() to job ids and the per-user views: a shared topic is the /topics entry’s', () => {
    expectTypeOf<{ topic: 'files' }>().toExtend<SubscriptionTarget>();
    expectTypeOf<{ jobId: string }>().toExtend<SubscriptionTarget>();
    expectTypeOf<{ topic: 'announcements' }>().not.toExtend<SubscriptionTarget>();
  });

  it('reports a refused subscription as an error event', async () => {
    const h = harness(fake);
    h.client.connect();
    await waitFor(() => fake.open.length === 1);
    // A JavaScript caller can pass any name; the server's refusal must still reach it.
    h.client.subscribe({ topic: 'nope' as PerUserView });
    const sub = await waitFor(() => fake.framesOf('subscribe')[0]);
    const [connection] = fake.open;
    if (!connection) throw new Error('no connection');
    fake.send(connection, {
      type: 'error',
      id: sub.frame.id,
      error: { code: 'NOT_FOUND', message: 'Unknown topic; known topics: jobs, files.' },
    });
    await waitFor(() => h.errors.length === 1);
    expect(h.errors[0]).toMatchObject({
      code: 'NOT_FOUND',
      message: 'Unknown topic; known topics: jobs, files.',
    });
  });

  it('delivers events of jobs nobody follows to the event stream, once each', async () => {
    const h = harness(fake);
    h.client.connect();
    await waitFor(() => fake.open.length === 1);
    const jobId = randomUUID();
    fake.publish(events.queued(jobId, 0));
    fake.publish(events.queued(jobId, 0));
    fake.publish(events.succeeded(jobId, 1, 5));
    fake.publish(events.progress(jobId, 2, 50));
    await waitFor(() => h.events.length === 2);
    await sleep(30);
    expect(h.events.map((e) => e.type)).toEqual(['job.queued', 'job.succeeded']);
  });
});
