import { randomUUID } from 'node:crypto';
import { errorEnvelope } from '@herald/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { JobLockedError } from '../../src/errors.ts';
import type { JobRepository, JobWorkStore, NewJob } from '../../src/ports.ts';
import { TEST_DATASETS } from '../fakes/fake-deps.ts';

/** A store under test and a way to count the rows its loads committed. */
export interface JobStoreHarness {
  readonly store: JobRepository & JobWorkStore;
  /** Committed rows loaded for a job (the line loader's rules: see `fakes/line-loader.ts`). */
  loadedRows(jobId: string): Promise<number>;
}

const BLOCK = 10;
const dataset = TEST_DATASETS[0] as (typeof TEST_DATASETS)[number];
const source = (text: string): AsyncIterable<Uint8Array> =>
  (async function* () {
    yield new TextEncoder().encode(text);
  })();

function newJob(userId: string, overrides: Partial<NewJob> = {}): NewJob {
  const jobId = randomUUID();
  return {
    jobId,
    userId,
    dataset: 'transactions',
    fileName: 'may.csv',
    sizeBytes: 100,
    objectKey: `uploads/${userId}/${jobId}.csv`,
    ...overrides,
  };
}

/**
 * The behaviour every {@link JobRepository} + {@link JobWorkStore} must have. Runs against the
 * in-memory fake (unit) and `PgJobRepository` on the local PostgreSQL (integration), so the
 * fake cannot drift from the real thing. Tests use fresh user ids, so one store serves all.
 */
export function describeJobStoreContract(name: string, make: () => Promise<JobStoreHarness>): void {
  describe(`JobStore contract: ${name}`, () => {
    let h: JobStoreHarness;
    let user: string;
    beforeAll(async () => {
      h = await make();
    });
    const fresh = () => {
      user = `user-${randomUUID()}`;
      return user;
    };

    it('creates a job awaiting its upload and shows it to its owner only', async () => {
      const job = newJob(fresh());
      const created = await h.store.create(job);
      expect(created).toMatchObject({
        ...job,
        state: 'awaiting_upload',
        attempts: 0,
        rowsLoaded: 0,
        rowsRejected: 0,
        error: null,
        rowErrors: [],
        reportKey: null,
        seqReserved: 0,
        startedAt: null,
        finishedAt: null,
      });
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(await h.store.getForOwner(user, job.jobId)).toEqual(created);
      expect(await h.store.getForOwner('someone-else', job.jobId)).toBeUndefined();
      expect(await h.store.getForOwner(user, randomUUID())).toBeUndefined();
    });

    it('lists the owner’s jobs newest first, page by page', async () => {
      const owner = fresh();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await h.store.create(newJob(owner))).jobId);
      await h.store.create(newJob('intruder'));
      const newestFirst = [...ids].reverse();
      const first = await h.store.listForOwner(owner, { limit: 2 });
      expect(first?.jobs.map((j) => j.jobId)).toEqual(newestFirst.slice(0, 2));
      expect(first?.hasMore).toBe(true);
      const second = await h.store.listForOwner(owner, { limit: 2, after: newestFirst[1] as string });
      expect(second?.jobs.map((j) => j.jobId)).toEqual(newestFirst.slice(2, 4));
      const last = await h.store.listForOwner(owner, { limit: 2, after: newestFirst[3] as string });
      expect(last).toEqual({ jobs: [expect.objectContaining({ jobId: newestFirst[4] })], hasMore: false });
      const all = await h.store.listForOwner(owner, { limit: 100 });
      expect(all?.jobs).toHaveLength(5);
    });

    it('refuses a cursor that is not one of the owner’s jobs', async () => {
      const owner = fresh();
      await h.store.create(newJob(owner));
      const foreign = await h.store.create(newJob('intruder'));
      expect(await h.store.listForOwner(owner, { limit: 10, after: foreign.jobId })).toBeUndefined();
      expect(await h.store.listForOwner(owner, { limit: 10, after: randomUUID() })).toBeUndefined();
    });

    it('claims a job: processing, one more attempt, a block of seqs reserved', async () => {
      const job = newJob(fresh());
      await h.store.create(job);
      const first = await h.store.claim({ ...job, seqBlock: BLOCK });
      expect(first.kind).toBe('claimed');
      if (first.kind !== 'claimed') return;
      expect(first.job).toMatchObject({ state: 'processing', attempts: 1, seqReserved: BLOCK });
      expect(first.job.startedAt).toBeInstanceOf(Date);
      const again = await h.store.claim({ ...job, seqBlock: BLOCK });
      expect(again.kind === 'claimed' && again.job).toMatchObject({ attempts: 2, seqReserved: 2 * BLOCK });
      expect(again.kind === 'claimed' && again.job.startedAt).toEqual(first.job.startedAt);
    });

    it('claims nothing when the key’s owner or path does not match the job', async () => {
      const job = newJob(fresh());
      await h.store.create(job);
      expect(await h.store.claim({ ...job, userId: 'intruder', seqBlock: BLOCK })).toEqual({
        kind: 'missing',
      });
      expect(await h.store.claim({ ...job, objectKey: 'uploads/x/y.csv', seqBlock: BLOCK })).toEqual({
        kind: 'missing',
      });
      expect(await h.store.claim({ ...job, jobId: randomUUID(), seqBlock: BLOCK })).toEqual({
        kind: 'missing',
      });
      expect((await h.store.getForOwner(user, job.jobId))?.state).toBe('awaiting_upload');
    });

    it('commits a successful run: rows and the succeeded job together', async () => {
      const job = newJob(fresh());
      await h.store.create(job);
      await h.store.claim({ ...job, seqBlock: BLOCK });
      const outcome = await h.store.runLocked(job.jobId, { timeoutMs: 30_000 }, async (locked) => {
        expect(locked.job.state).toBe('processing');
        const loaded = await locked.load({ dataset, source: source('h\na\nb\nc\n') });
        if (!loaded.ok) throw new Error('expected ok');
        await locked.succeed({
          rowsLoaded: loaded.rowsLoaded,
          rowsRejected: 0,
          rowErrors: [],
          reportKey: null,
        });
        return loaded;
      });
      expect(outcome).toMatchObject({ ok: true, rowsLoaded: 3 });
      expect(await h.loadedRows(job.jobId)).toBe(3);
      const stored = await h.store.getForOwner(user, job.jobId);
      expect(stored).toMatchObject({ state: 'succeeded', rowsLoaded: 3, error: null });
      expect(stored?.finishedAt).toBeInstanceOf(Date);
      expect(await h.store.claim({ ...job, seqBlock: BLOCK })).toMatchObject({ kind: 'finished' });
    });

    it('rolls back refused data and commits the failure', async () => {
      const job = newJob(fresh());
      await h.store.create(job);
      await h.store.claim({ ...job, seqBlock: BLOCK });
      const error = errorEnvelope('INVALID_VALUE', 'line 3, column `amount`: `!bad` is not a number');
      const rowErrors = [{ line: 3, column: 'amount', value: '!bad', reason: '`!bad` is not a number' }];
      await h.store.runLocked(job.jobId, { timeoutMs: 30_000 }, async (locked) => {
        const loaded = await locked.load({ dataset, source: source('h\na\n!bad\n') });
        expect(loaded.ok).toBe(false);
        await locked.fail({
          error,
          rowsRejected: 1,
          rowErrors,
          reportKey: `reports/${user}/${job.jobId}.json`,
        });
      });
      expect(await h.loadedRows(job.jobId)).toBe(0);
      expect(await h.store.getForOwner(user, job.jobId)).toMatchObject({
        state: 'failed',
        error,
        rowErrors,
        rowsRejected: 1,
        rowsLoaded: 0,
        reportKey: `reports/${user}/${job.jobId}.json`,
      });
    });

    it('undoes rows already loaded when the run fails afterwards', async () => {
      const job = newJob(fresh());
      await h.store.create(job);
      await h.store.claim({ ...job, seqBlock: BLOCK });
      await h.store.runLocked(job.jobId, { timeoutMs: 30_000 }, async (locked) => {
        expect((await locked.load({ dataset, source: source('h\na\nb\n') })).ok).toBe(true);
        await locked.fail({
          error: errorEnvelope('INTERNAL'),
          rowsRejected: 0,
          rowErrors: [],
          reportKey: null,
        });
      });
      expect(await h.loadedRows(job.jobId)).toBe(0);
      expect((await h.store.getForOwner(user, job.jobId))?.state).toBe('failed');
    });

    it('keeps nothing of a run that throws, and leaves the job processing for a retry', async () => {
      const job = newJob(fresh());
      await h.store.create(job);
      await h.store.claim({ ...job, seqBlock: BLOCK });
      const thrown = await h.store
        .runLocked(job.jobId, { timeoutMs: 30_000 }, async (locked) => {
          await locked.load({ dataset, source: source('h\na\nb\n') });
          await locked.load({ dataset, source: source('h\nc\n!throw\n') });
        })
        .catch((e: unknown) => e);
      expect(thrown).toMatchObject({ retryable: true });
      expect(await h.loadedRows(job.jobId)).toBe(0);
      expect(await h.store.getForOwner(user, job.jobId)).toMatchObject({
        state: 'processing',
        rowsLoaded: 0,
      });
    });

    it('answers JobLockedError at once to a claim or run while a run holds the job', async () => {
      const job = newJob(fresh());
      await h.store.create(job);
      await h.store.claim({ ...job, seqBlock: BLOCK });
      await h.store.runLocked(job.jobId, { timeoutMs: 30_000 }, async () => {
        const started = Date.now();
        await expect(h.store.claim({ ...job, seqBlock: BLOCK })).rejects.toBeInstanceOf(JobLockedError);
        await expect(
          h.store.runLocked(job.jobId, { timeoutMs: 30_000 }, async () => 1),
        ).rejects.toBeInstanceOf(JobLockedError);
        expect(Date.now() - started).toBeLessThan(2000);
      });
      // Released: the next run gets the lock.
      expect(await h.store.runLocked(job.jobId, { timeoutMs: 30_000 }, async () => 'mine')).toBe('mine');
    });

    it('marks an unfinished job failed outside a run, with the next seq', async () => {
      const job = newJob(fresh());
      await h.store.create(job);
      await h.store.claim({ ...job, seqBlock: BLOCK });
      const error = errorEnvelope('UPSTREAM_UNAVAILABLE', 'gave up');
      const marked = await h.store.markFailed(job, {
        error,
        rowsRejected: 0,
        rowErrors: [],
        reportKey: null,
      });
      expect(marked).toEqual({ seq: BLOCK + 1 });
      expect(await h.store.getForOwner(user, job.jobId)).toMatchObject({
        state: 'failed',
        error,
        seqReserved: BLOCK + 1,
      });
      expect(
        await h.store.markFailed(job, { error, rowsRejected: 0, rowErrors: [], reportKey: null }),
      ).toBeUndefined();
      const other = newJob(fresh());
      await h.store.create(other);
      expect(
        await h.store.markFailed(
          { ...other, userId: 'intruder' },
          { error, rowsRejected: 0, rowErrors: [], reportKey: null },
        ),
      ).toBeUndefined();
    });

    it('records the notification of a finished job once, and never of an unfinished one', async () => {
      const job = newJob(fresh());
      await h.store.create(job);
      await h.store.claim({ ...job, seqBlock: BLOCK });
      await h.store.markNotified(job.jobId);
      expect((await h.store.getForOwner(user, job.jobId))?.notifiedAt).toBeNull();
      const error = errorEnvelope('UPSTREAM_UNAVAILABLE', 'gave up');
      await h.store.markFailed(job, { error, rowsRejected: 0, rowErrors: [], reportKey: null });
      const finished = await h.store.getForOwner(user, job.jobId);
      expect(finished?.notifiedAt).toBeNull();
      await h.store.markNotified(job.jobId);
      const notified = (await h.store.getForOwner(user, job.jobId))?.notifiedAt;
      expect(notified).toBeInstanceOf(Date);
      await h.store.markNotified(job.jobId);
      expect((await h.store.getForOwner(user, job.jobId))?.notifiedAt).toEqual(notified);
    });
  });
}
