import { describe, expect, it } from 'vitest';
import { createUpload } from '../../src/core/create-upload.ts';
import { ObjectStoreError } from '../../src/errors.ts';
import { makeSqsCompleteUploadHandler } from '../../src/handlers/sqs-complete-upload.ts';
import { ALICE, BOB, fakeDeps } from '../fakes/fake-deps.ts';

const MIB = 1024 * 1024;

/** Fakes whose `transactions` dataset accepts large files, and the worker built on them. */
function setup() {
  const f = fakeDeps();
  const datasets = {
    find: async (name: string) => {
      const found = await f.deps.datasets.find(name);
      return found && { ...found, maxFileBytes: 1024 ** 3 };
    },
    list: () => f.deps.datasets.list(),
  };
  const deps = { ...f.deps, datasets };
  return { ...f, deps, worker: makeSqsCompleteUploadHandler(() => deps) };
}

/** A 20 MiB multipart job of Alice's with its three parts uploaded. */
async function uploaded(f: ReturnType<typeof setup>) {
  const created = await createUpload(
    f.deps,
    { userId: ALICE, groups: ['analysts'] },
    { dataset: 'transactions', fileName: 'big.csv', sizeBytes: 20 * MIB },
  );
  if (!created.ok || created.value.upload.method !== 'MULTIPART') throw new Error('not a multipart upload');
  const { jobId } = created.value;
  const { uploadId } = created.value.upload;
  for (const n of [1, 2, 3]) f.multipart.putPart(uploadId, n, new Uint8Array(n < 3 ? 8 * MIB : 4 * MIB));
  return { jobId, uploadId, key: `uploads/${ALICE}/${jobId}.csv` };
}

const sqs = (...messages: { body: string; receiveCount?: number }[]) => ({
  Records: messages.map((m, i) => ({
    messageId: `m-${i + 1}`,
    body: m.body,
    attributes: { ApproximateReceiveCount: String(m.receiveCount ?? 1) },
  })),
});
const message = (jobId: string, userId = ALICE) => JSON.stringify({ v: 1, jobId, userId });

describe('sqs-complete-upload', () => {
  it('completes the upload with the parts S3 holds; a repeated message is a no-op', async () => {
    const f = setup();
    const { jobId, key } = await uploaded(f);
    expect(await f.worker(sqs({ body: message(jobId) }))).toEqual({ batchItemFailures: [] });
    expect(await f.objects.size(key)).toBe(20 * MIB);
    expect(await f.worker(sqs({ body: message(jobId) }, { body: message(jobId) }))).toEqual({
      batchItemFailures: [],
    });
    expect(f.multipart.completions).toEqual([{ key, assembled: true }]);
    expect(f.jobs.peek(jobId)?.state).toBe('awaiting_upload');
  });

  it('fails the job with UPLOAD_EXPIRED when the upload is gone and no object was made', async () => {
    const f = setup();
    const { jobId, uploadId, key } = await uploaded(f);
    f.multipart.uploads.delete(uploadId);
    expect(await f.worker(sqs({ body: message(jobId) }))).toEqual({ batchItemFailures: [] });
    expect(f.jobs.peek(jobId)).toMatchObject({ state: 'failed', error: { code: 'UPLOAD_EXPIRED' } });
    expect(await f.objects.size(key)).toBeUndefined();
  });

  it('reports a transient S3 fault as a batch item failure and completes on the next delivery', async () => {
    const f = setup();
    const { jobId, key } = await uploaded(f);
    f.multipart.failNextWith(
      new ObjectStoreError('S3 ListParts failed (SlowDown)', { key, retryable: true }),
    );
    expect(await f.worker(sqs({ body: message(jobId) }))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-1' }],
    });
    expect(f.jobs.peek(jobId)?.state).toBe('awaiting_upload');
    expect(await f.worker(sqs({ body: message(jobId), receiveCount: 2 }))).toEqual({ batchItemFailures: [] });
    expect(await f.objects.size(key)).toBe(20 * MIB);
  });

  it('drops what it cannot act on: a malformed message, another owner, a job that moved on', async () => {
    const f = setup();
    const { jobId, key } = await uploaded(f);
    const job = f.jobs.peek(jobId);
    expect(
      await f.worker(sqs({ body: 'not json' }, { body: '{"v":2}' }, { body: message(jobId, BOB) })),
    ).toEqual({ batchItemFailures: [] });
    await f.jobs.claim({ jobId, userId: ALICE, objectKey: job?.objectKey ?? '', seqBlock: 1 });
    expect(await f.worker(sqs({ body: message(jobId) }))).toEqual({ batchItemFailures: [] });
    expect(f.multipart.completions).toEqual([]);
    expect(await f.objects.size(key)).toBeUndefined();
  });

  it('fails the job with S3’s code when S3 refuses the parts it listed (a part re-sent too small)', async () => {
    const f = setup();
    const { jobId, uploadId } = await uploaded(f);
    f.multipart.putPart(uploadId, 2, new Uint8Array(MIB));
    expect(await f.worker(sqs({ body: message(jobId) }))).toEqual({ batchItemFailures: [] });
    expect(f.jobs.peek(jobId)).toMatchObject({ state: 'failed', error: { code: 'PART_TOO_SMALL' } });
  });
});
