import { MultipartUploadSchema } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import { createUpload } from '../../src/core/create-upload.ts';
import {
  abortUpload,
  completeUpload,
  partLength,
  partPlan,
  presignParts,
  uploadStatus,
} from '../../src/core/multipart-upload.ts';
import { completeQueuedUpload } from '../../src/core/upload-completion.ts';
import { ALICE, BOB, fakeDeps } from '../fakes/fake-deps.ts';

const MIB = 1024 * 1024;
/** Alice as a member of the group the sample `transactions` dataset accepts uploads from. */
const ANALYST = { userId: ALICE, groups: ['analysts'] };

/** One delivery of a completion message, its first. */
const DELIVERY = { receiveCount: 1, maxReceives: 3, deadline: Number.MAX_SAFE_INTEGER };
const message = (jobId: string, userId = ALICE) => JSON.stringify({ v: 1, jobId, userId });

/** Fakes whose `transactions` dataset accepts 100 GiB, with a 16 MiB threshold. */
function setup() {
  const f = fakeDeps();
  const datasets = {
    find: async (name: string) => {
      const found = await f.deps.datasets.find(name);
      return found && { ...found, maxFileBytes: 100 * 1024 ** 3 };
    },
    list: () => f.deps.datasets.list(),
  };
  return { ...f, deps: { ...f.deps, datasets } };
}

async function started(f: ReturnType<typeof setup>, sizeBytes: number) {
  const result = await createUpload(f.deps, ANALYST, {
    dataset: 'transactions',
    fileName: 'big.csv',
    sizeBytes,
  });
  if (!result.ok) throw new Error(result.error.message);
  return { jobId: result.value.jobId, upload: MultipartUploadSchema.parse(result.value.upload) };
}

describe('partPlan', () => {
  it('uses 8 MiB parts up to 10,000 of them, then the smallest whole MiB that fits in 10,000', () => {
    expect(partPlan(20 * MIB)).toEqual({ partSize: 8 * MIB, partCount: 3 });
    expect(partPlan(80_000 * MIB)).toEqual({ partSize: 8 * MIB, partCount: 10_000 });
    expect(partPlan(80_000 * MIB + 1)).toEqual({ partSize: 9 * MIB, partCount: 8889 });
    expect(partPlan(100 * 1024 ** 3)).toEqual({ partSize: 11 * MIB, partCount: 9310 });
    expect(partLength(20 * MIB, 8 * MIB, 3)).toBe(4 * MIB);
  });
});

describe('multipart uploads (core)', () => {
  it('starts a multipart upload at the threshold: 8 parts presigned, exact lengths, the upload recorded', async () => {
    const f = setup();
    const { jobId, upload } = await started(f, 70 * MIB);
    expect(upload).toMatchObject({ method: 'MULTIPART', partSize: 8 * MIB, partCount: 9 });
    expect(upload.parts.map((p) => [p.partNumber, p.sizeBytes])).toEqual(
      [1, 2, 3, 4, 5, 6, 7, 8].map((n) => [n, 8 * MIB]),
    );
    expect(upload.parts[0]?.expiresAt).toBe('2026-01-15T09:10:00.000Z');
    expect(await f.uploads.findForOwner(ALICE, jobId)).toMatchObject({
      uploadId: upload.uploadId,
      partSize: 8 * MIB,
    });
    expect(f.objects.presigned).toEqual([]);

    const below = await createUpload(f.deps, ANALYST, {
      dataset: 'transactions',
      fileName: 'a.csv',
      sizeBytes: 16 * MIB - 1,
    });
    expect(below.ok && below.value.upload.method).toBe('PUT');
  });

  it('presigns more parts for the owner only, within the part count', async () => {
    const f = setup();
    const { jobId } = await started(f, 70 * MIB);
    const more = await presignParts(f.deps, ALICE, jobId, [9]);
    expect(more.ok && more.value.parts).toEqual([
      expect.objectContaining({ partNumber: 9, sizeBytes: 6 * MIB }),
    ]);
    expect(await presignParts(f.deps, BOB, jobId, [9])).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await presignParts(f.deps, ALICE, 'not-a-uuid', [1])).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await presignParts(f.deps, ALICE, jobId, [10])).toMatchObject({
      ok: false,
      error: { code: 'VALIDATION_FAILED', details: { partCount: 9 } },
    });
  });

  it('lists the parts held, checks a completion against them and queues it; the worker assembles the object', async () => {
    const f = setup();
    const { jobId, upload } = await started(f, 20 * MIB);
    const key = `uploads/${ALICE}/${jobId}.csv`;
    const e1 = f.multipart.putPart(upload.uploadId, 1, new Uint8Array(8 * MIB).fill(1));
    const status = await uploadStatus(f.deps, ALICE, jobId);
    expect(status.ok && status.value.parts).toEqual([{ partNumber: 1, etag: e1, sizeBytes: 8 * MIB }]);

    const e2 = f.multipart.putPart(upload.uploadId, 2, new Uint8Array(8 * MIB).fill(2));
    const e3 = f.multipart.putPart(upload.uploadId, 3, new Uint8Array(4 * MIB));
    const wrong = await completeUpload(f.deps, ALICE, jobId, {
      parts: [
        { partNumber: 1, etag: e1 },
        { partNumber: 2, etag: e1 },
        { partNumber: 3, etag: e3 },
      ],
    });
    expect(wrong).toMatchObject({ ok: false, error: { code: 'INVALID_PART' } });
    const parts = [
      { partNumber: 1, etag: e1 },
      { partNumber: 2, etag: e2 },
      { partNumber: 3, etag: e3 },
    ];
    expect(await completeUpload(f.deps, BOB, jobId, { parts })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(f.completions.messages).toEqual([]);
    expect(await completeUpload(f.deps, ALICE, jobId, { parts })).toEqual({ ok: true, value: { jobId } });
    // Queued, not assembled: the answer never waits for S3's completion.
    expect(f.completions.messages).toEqual([{ v: 1, jobId, userId: ALICE }]);
    expect(f.multipart.completions).toEqual([]);
    expect(await f.objects.size(key)).toBeUndefined();

    expect(await completeQueuedUpload(f.deps, message(jobId), DELIVERY, f.deps.log)).toEqual({
      retry: false,
    });
    expect(await f.objects.size(key)).toBe(20 * MIB);
    // Gone from S3 now: listing it is UPLOAD_EXPIRED; a repeated completion finds the object and
    // answers 200 (the job waits for the ingest worker), and so it does once the worker has the job.
    expect(await uploadStatus(f.deps, ALICE, jobId)).toMatchObject({
      ok: false,
      error: { code: 'UPLOAD_EXPIRED' },
    });
    expect(await completeUpload(f.deps, ALICE, jobId, { parts })).toEqual({ ok: true, value: { jobId } });
    const job = f.jobs.peek(jobId);
    await f.jobs.claim({ jobId, userId: ALICE, objectKey: job?.objectKey ?? '', seqBlock: 1 });
    expect(await completeUpload(f.deps, ALICE, jobId, { parts })).toEqual({ ok: true, value: { jobId } });
    expect(await completeUpload(f.deps, BOB, jobId, { parts })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(f.multipart.completions).toEqual([{ key, assembled: true }]);
  });

  it('refuses what S3 would refuse, before queueing: order, unknown or unlisted parts, small parts, a gone upload', async () => {
    const f = setup();
    const { jobId, upload } = await started(f, 20 * MIB);
    const e1 = f.multipart.putPart(upload.uploadId, 1, new Uint8Array(8 * MIB).fill(1));
    const e2 = f.multipart.putPart(upload.uploadId, 2, new Uint8Array(4 * MIB).fill(2));
    const e3 = f.multipart.putPart(upload.uploadId, 3, new Uint8Array(4 * MIB));
    const complete = (parts: { partNumber: number; etag: string }[]) =>
      completeUpload(f.deps, ALICE, jobId, { parts });
    const code = async (parts: { partNumber: number; etag: string }[]) => {
      const result = await complete(parts);
      return result.ok ? 'ok' : result.error.code;
    };
    const p = (partNumber: number, etag: string) => ({ partNumber, etag });
    expect(await code([p(2, e2), p(1, e1), p(3, e3)])).toBe('INVALID_PART');
    expect(await code([p(1, e1), p(1, e1), p(3, e3)])).toBe('INVALID_PART');
    expect(await code([p(1, e1), p(2, e2), p(4, e3)])).toBe('INVALID_PART');
    // S3 holds part 2: a list without it would complete another object than the one checked.
    expect(await code([p(1, e1), p(3, e3)])).toBe('INVALID_PART');
    // Part 2 (4 MiB) is not the last.
    expect(await code([p(1, e1), p(2, e2), p(3, e3)])).toBe('PART_TOO_SMALL');
    expect(f.completions.messages).toEqual([]);
    // ETags compare without their quotes, as S3 compares them.
    const e2Full = f.multipart.putPart(upload.uploadId, 2, new Uint8Array(8 * MIB).fill(2));
    expect(await code([p(1, e1.replaceAll('"', '')), p(2, e2Full), p(3, e3)])).toBe('ok');

    await abortUpload(f.deps, ALICE, jobId);
    const other = await started(f, 20 * MIB);
    f.multipart.uploads.delete(other.upload.uploadId);
    expect(await completeUpload(f.deps, ALICE, other.jobId, { parts: [p(1, e1)] })).toMatchObject({
      ok: false,
      error: { code: 'UPLOAD_EXPIRED' },
    });
  });

  it('answers within the request while S3 takes longer than the API to assemble: one object, one load', async () => {
    const f = setup();
    const { jobId, upload } = await started(f, 20 * MIB);
    const key = `uploads/${ALICE}/${jobId}.csv`;
    const parts = [1, 2, 3].map((n) => ({
      partNumber: n,
      etag: f.multipart.putPart(upload.uploadId, n, new Uint8Array(n < 3 ? 8 * MIB : 4 * MIB).fill(n)),
    }));
    // S3's assembly holds until released: far longer than any request may take.
    let release = () => {};
    const assembling = new Promise<void>((resolve) => {
      release = resolve;
    });
    f.multipart.completeAfter(() => assembling);

    expect(await completeUpload(f.deps, ALICE, jobId, { parts })).toEqual({ ok: true, value: { jobId } });
    const worker = completeQueuedUpload(f.deps, message(jobId), DELIVERY, f.deps.log);
    // A client that lost the answer asks again while S3 assembles: 200 again, queued again.
    expect(await completeUpload(f.deps, ALICE, jobId, { parts })).toEqual({ ok: true, value: { jobId } });
    expect(f.completions.messages).toHaveLength(2);
    release();
    expect(await worker).toEqual({ retry: false });
    // The second message finds the upload completed: nothing more.
    expect(await completeQueuedUpload(f.deps, message(jobId), DELIVERY, f.deps.log)).toEqual({
      retry: false,
    });
    expect(f.multipart.completions).toEqual([{ key, assembled: true }]);
    expect(await f.objects.size(key)).toBe(20 * MIB);
    expect(f.jobs.peek(jobId)?.state).toBe('awaiting_upload');
  });

  it('aborts: the parts are discarded and the job fails with UPLOAD_ABORTED; then the upload is over', async () => {
    const f = setup();
    const { jobId, upload } = await started(f, 20 * MIB);
    expect(await abortUpload(f.deps, BOB, jobId)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await abortUpload(f.deps, ALICE, jobId)).toEqual({ ok: true, value: undefined });
    expect(f.multipart.uploads.has(upload.uploadId)).toBe(false);
    expect(f.jobs.peek(jobId)).toMatchObject({ state: 'failed', error: { code: 'UPLOAD_ABORTED' } });
    expect(await abortUpload(f.deps, ALICE, jobId)).toMatchObject({
      ok: false,
      error: { code: 'CONFLICT', details: { state: 'failed' } },
    });
  });
});
