import type { JobEvent } from '@herald/protocol';
import { beforeEach, describe, expect, it } from 'vitest';
import type { JobEventLog } from '../../src/ports.ts';

/**
 * The behaviour every {@link JobEventLog} must have.
 *
 * @param makeLog returns an EMPTY log (e.g. a fresh table) for each test.
 */
export function describeJobEventLogContract(name: string, makeLog: () => Promise<JobEventLog>): void {
  const now = Date.parse('2025-06-01T12:00:00Z');
  const live = Math.floor(now / 1000) + 3600;
  const jobA = '0b6f3c8e-7a43-4a8e-9f0a-3f6d2b1c9e11';
  const jobB = '1c7a4d9f-8b54-4b9f-8a1b-4a7e3c2d0f22';
  const at = '2025-06-01T11:59:00.000Z';
  const queued = (jobId: string, seq: number): JobEvent => ({
    type: 'job.queued',
    seq,
    at,
    jobId,
    dataset: 'sales',
  });
  const progress = (jobId: string, seq: number): JobEvent => ({
    type: 'job.progress',
    seq,
    at,
    jobId,
    bytesRead: seq * 10,
    bytesTotal: 100,
    rowsProcessed: seq,
    percent: seq * 10,
    rowsPerSecond: 5,
    etaSeconds: null,
  });

  describe(`JobEventLog contract: ${name}`, () => {
    let log: JobEventLog;
    beforeEach(async () => {
      log = await makeLog();
    });

    it('reads events after a cursor in seq order, whatever the append order', async () => {
      for (const seq of [2, 0, 3, 1])
        await log.append('user-a', seq === 0 ? queued(jobA, 0) : progress(jobA, seq), live);
      await log.append('user-b', queued(jobB, 0), live);
      const read = await log.readAfter(jobA, 0, now, 100);
      expect(read.map((item) => item.event.seq)).toEqual([1, 2, 3]);
      expect(read[0]).toEqual({ userId: 'user-a', event: progress(jobA, 1) });
      expect((await log.readAfter(jobA, -1, now, 100)).map((item) => item.event.seq)).toEqual([0, 1, 2, 3]);
      expect(await log.readAfter(jobA, 3, now, 100)).toEqual([]);
    });

    it('keeps the first write of a seq and reports the repeat as a duplicate', async () => {
      expect(await log.append('user-a', queued(jobA, 0), live)).toBe('appended');
      const repeat: JobEvent = { type: 'job.queued', seq: 0, at, jobId: jobA, dataset: 'other' };
      expect(await log.append('user-b', repeat, live)).toBe('duplicate');
      expect(await log.readAfter(jobA, -1, now, 100)).toEqual([{ userId: 'user-a', event: queued(jobA, 0) }]);
    });

    it('knows a job’s owner and last seq, and nothing of an unknown job', async () => {
      await log.append('user-a', queued(jobA, 0), live);
      await log.append('user-a', progress(jobA, 4), live);
      expect(await log.head(jobA, now)).toEqual({ userId: 'user-a', lastSeq: 4 });
      expect(await log.head(jobB, now)).toBeUndefined();
    });

    it('ignores expired events', async () => {
      await log.append('user-a', queued(jobA, 0), Math.floor(now / 1000) - 1);
      expect(await log.head(jobA, now)).toBeUndefined();
      expect(await log.readAfter(jobA, -1, now, 100)).toEqual([]);
      await log.append('user-a', progress(jobA, 1), live);
      expect(await log.head(jobA, now)).toEqual({ userId: 'user-a', lastSeq: 1 });
      expect((await log.readAfter(jobA, -1, now, 100)).map((i) => i.event.seq)).toEqual([1]);
    });

    it('reads at most `limit` events', async () => {
      for (let seq = 0; seq < 7; seq++) await log.append('user-a', progress(jobA, seq), live);
      expect((await log.readAfter(jobA, 1, now, 3)).map((i) => i.event.seq)).toEqual([2, 3, 4]);
    });
  });
}
