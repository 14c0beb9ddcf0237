import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createFetchUploader as browserFetchUploader } from '../../src/fetch-uploader.browser.ts';
import {
  createXhrUploader,
  HeraldClientError,
  JobFailedError,
  type JobProgress,
  type UploadRequest,
  type XhrLike,
} from '../../src/index.ts';
import { closeClients, harness } from './support/client.ts';
import { events, FakeHerald, waitFor } from './support/fake-herald.ts';

let fake: FakeHerald;
const dir = mkdtempSync(join(tmpdir(), 'herald-sdk-upload-'));
beforeEach(async () => {
  fake = await FakeHerald.start();
});
afterEach(async () => {
  closeClients();
  await fake.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csv(rows: number): string {
  const lines = ['transaction_id,customer_external_id,amount,currency,occurred_at,note'];
  for (let i = 0; i < rows; i++) {
    lines.push(`${crypto.randomUUID()},${crypto.randomUUID()},${i}.50,EUR,2026-01-01T00:00:00Z,row ${i}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Plays a job's processing once its bytes arrive. */
function processOnUpload(outcome: 'succeed' | 'fail'): void {
  fake.onUploaded = (jobId) => {
    fake.publish(events.queued(jobId, 0));
    fake.publish(events.progress(jobId, 1, 50, 1500));
    fake.publish(
      outcome === 'succeed'
        ? events.succeeded(jobId, 2, 3000)
        : events.failed(jobId, 2, [
            { line: 3, column: 'amount', value: '12,5', reason: '`12,5` is not a number' },
            { line: 9, column: 'currency', reason: 'longer than 3 characters' },
          ]),
    );
  };
}

async function drain(iterator: AsyncIterable<JobProgress>): Promise<JobProgress[]> {
  const seen: JobProgress[] = [];
  for await (const p of iterator) seen.push(p);
  return seen;
}

describe('HeraldClient.upload', () => {
  it('streams a Node file stream with byte progress, then processing progress, and resolves', async () => {
    const path = join(dir, 'march.csv');
    const text = csv(3000);
    writeFileSync(path, text);
    const size = Buffer.byteLength(text);
    processOnUpload('succeed');
    const h = harness(fake);
    const upload = h.client.upload(createReadStream(path), { dataset: 'transactions', sizeBytes: size });
    const progress = drain(upload.progress());

    await expect(upload.done).resolves.toEqual({
      jobId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      rowsLoaded: 3000,
      rowsRejected: 0,
      durationMs: 1234,
    });
    const seen = await progress;
    const phases = seen.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1]);
    expect(phases).toEqual(['pending', 'uploading', 'queued', 'processing', 'succeeded']);
    const sent = seen.flatMap((p) => (p.phase === 'uploading' ? [p.bytesSent] : []));
    expect(sent.length).toBeGreaterThan(2);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
    expect(sent.at(-1)).toBe(size);
    expect(seen.find((p) => p.phase === 'processing')).toMatchObject({
      percent: 50,
      rowsProcessed: 1500,
      etaSeconds: 5,
    });

    const jobId = upload.jobId ?? '';
    expect((await upload.done).jobId).toBe(jobId);
    expect(fake.uploads.get(jobId)?.toString()).toBe(text);
    expect(fake.uploadHeaders.get(jobId)).toMatchObject({
      'content-length': String(size),
      'content-type': 'text/csv',
    });
    expect(fake.requests.find((r) => r.path === '/uploads')?.body).toEqual({
      dataset: 'transactions',
      fileName: 'march.csv',
      sizeBytes: size,
    });
  });

  it('uploads a File, naming the upload after it', async () => {
    processOnUpload('succeed');
    const h = harness(fake);
    const file = new File([csv(2)], 'two-rows.csv', { type: 'text/csv' });
    const upload = h.client.upload(file, { dataset: 'transactions' });
    await upload.done;
    expect(fake.requests.find((r) => r.path === '/uploads')?.body).toMatchObject({
      fileName: 'two-rows.csv',
      sizeBytes: file.size,
    });
  });

  it('rejects with a JobFailedError carrying the row errors, after the failure event', async () => {
    processOnUpload('fail');
    const h = harness(fake);
    const upload = h.client.upload(new TextEncoder().encode(csv(10)), {
      dataset: 'transactions',
      fileName: 'bad.csv',
    });
    const types: string[] = [];
    const iterated = (async () => {
      for await (const event of upload) types.push(event.type);
    })();
    const error = await upload.done.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JobFailedError);
    expect(error).toBeInstanceOf(HeraldClientError);
    const failed = error as JobFailedError;
    expect(failed.code).toBe('INVALID_VALUE');
    expect(failed.jobId).toBe(upload.jobId);
    expect(failed.rowErrors).toEqual([
      { line: 3, column: 'amount', value: '12,5', reason: '`12,5` is not a number' },
      { line: 9, column: 'currency', reason: 'longer than 3 characters' },
    ]);
    expect(failed.message).toContain('line 3, column `amount`: `12,5` is not a number');
    await iterated;
    expect(types).toEqual(['job.queued', 'job.progress', 'job.failed']);
    expect(upload.snapshot.progress).toMatchObject({ phase: 'failed', error: failed });
  });

  it('asks for a dry run and resolves with the rows that would load when the job is validated', async () => {
    fake.onUploaded = (jobId) => {
      fake.publish(events.queued(jobId, 0));
      fake.publish({
        type: 'job.validated',
        seq: 1,
        at: new Date().toISOString(),
        jobId,
        rowsLoaded: 10,
        rowsRejected: 0,
        durationMs: 40,
      });
    };
    const h = harness(fake);
    const upload = h.client.upload(new TextEncoder().encode(csv(10)), {
      dataset: 'transactions',
      dryRun: true,
    });
    const result = await upload.done;
    expect(result).toEqual({
      jobId: upload.jobId,
      rowsLoaded: 10,
      rowsRejected: 0,
      durationMs: 40,
    });
    const created = fake.requests.find((r) => r.method === 'POST' && r.path === '/uploads');
    expect(created?.body).toMatchObject({ dataset: 'transactions', dryRun: true });
    expect(upload.snapshot.progress).toMatchObject({ phase: 'succeeded', rowsLoaded: 10 });
  });

  it('cancels a running job: POST /jobs/{id}/cancel, then done rejects with JOB_CANCELLED when job.cancelled comes', async () => {
    fake.onUploaded = (jobId) => {
      fake.setJob(jobId, { state: 'processing' });
      fake.publish(events.queued(jobId, 0));
    };
    const h = harness(fake);
    const upload = h.client.upload(new TextEncoder().encode(csv(10)), { dataset: 'transactions' });
    await waitFor(() => upload.snapshot.progress.phase === 'queued' && fake.uploads.size === 1);
    await upload.cancel();
    expect(fake.requests.some((r) => r.method === 'POST' && r.path === `/jobs/${upload.jobId}/cancel`)).toBe(
      true,
    );
    const error = JobFailedError;
    fake.publish({
      type: 'job.cancelled',
      seq: 5,
      at: new Date().toISOString(),
      jobId: upload.jobId as string,
      error: { code: 'JOB_CANCELLED', message: 'The job was cancelled by its owner; nothing was loaded.' },
    });
    await expect(upload.done).rejects.toBeInstanceOf(error);
    await expect(upload.done).rejects.toMatchObject({ code: 'JOB_CANCELLED', jobId: upload.jobId });
    // The event stream ends quietly: the terminal event says why.
    const types: string[] = [];
    for await (const event of upload) types.push(event.type);
    expect(types).toEqual(['job.queued', 'job.cancelled']);
  });

  it('cancels a followed job awaiting its upload at once, and settles it from the event', async () => {
    const jobId = crypto.randomUUID();
    fake.setJob(jobId, { state: 'awaiting_upload', startedAt: null });
    const h = harness(fake);
    const handle = h.client.follow(jobId);
    await waitFor(() => handle.snapshot.job !== undefined);
    await handle.cancel();
    await expect(handle.done).rejects.toMatchObject({ code: 'JOB_CANCELLED' });
  });

  it('settles follow() of a validated or cancelled job from REST', async () => {
    const h = harness(fake);
    const validated = crypto.randomUUID();
    fake.setJob(validated, { state: 'validated', dryRun: true, rowsLoaded: 7 });
    await expect(h.client.follow(validated).done).resolves.toMatchObject({ jobId: validated, rowsLoaded: 7 });
    const cancelled = crypto.randomUUID();
    fake.setJob(cancelled, { state: 'cancelled', error: { code: 'JOB_CANCELLED', message: 'Cancelled.' } });
    await expect(h.client.follow(cancelled).done).rejects.toMatchObject({ code: 'JOB_CANCELLED' });
  });

  it('rejects with the server’s code when the upload is refused', async () => {
    const h = harness(fake);
    const upload = h.client.upload(new Uint8Array(10), { dataset: 'nope', fileName: 'x.csv' });
    await expect(upload.done).rejects.toMatchObject({ code: 'UNKNOWN_DATASET', status: 400 });
    expect(upload.jobId).toBeUndefined();
  });

  it('rejects with UPLOAD_FAILED and the storage error code when the PUT is refused', async () => {
    fake.uploadReply = {
      status: 403,
      raw: '<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code></Error>',
    };
    const h = harness(fake);
    const upload = h.client.upload(new Uint8Array(10), { dataset: 'transactions', fileName: 'x.csv' });
    await expect(upload.done).rejects.toMatchObject({
      code: 'UPLOAD_FAILED',
      status: 403,
      details: { s3Code: 'SignatureDoesNotMatch' },
    });
  });

  it('aborts a running upload', async () => {
    const h = harness(fake);
    let produced = 0;
    const slow = new Readable({
      read() {
        produced++;
        setTimeout(() => this.push(produced > 200 ? null : Buffer.alloc(1024, 97)), 10);
      },
    });
    const upload = h.client.upload(slow, {
      dataset: 'transactions',
      fileName: 'slow.csv',
      sizeBytes: 200 * 1024,
    });
    await waitFor(
      () => upload.snapshot.progress.phase === 'uploading' && upload.snapshot.progress.bytesSent > 0,
    );
    upload.abort();
    await expect(upload.done).rejects.toMatchObject({ code: 'ABORTED' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(fake.uploads.size).toBe(0);
  });

  it('aborts through the caller’s AbortSignal, ending the event stream quietly', async () => {
    const h = harness(fake);
    const controller = new AbortController();
    const upload = h.client.upload(new Uint8Array(10), {
      dataset: 'transactions',
      fileName: 'x.csv',
      signal: controller.signal,
    });
    const iterated = (async () => {
      for await (const _ of upload) throw new Error('no event expected');
    })();
    controller.abort();
    await expect(upload.done).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(iterated).resolves.toBeUndefined();
  });

  it('throws for caller mistakes instead of returning a handle', () => {
    const h = harness(fake);
    const stream = Readable.from(['a']);
    expect(() => h.client.upload(stream, { dataset: 'transactions' })).toThrow(/sizeBytes/);
    expect(() => h.client.upload(new Uint8Array(3), { dataset: '' })).toThrow(/dataset/);
    expect(() => h.client.upload('text' as never, { dataset: 'transactions' })).toThrow(HeraldClientError);
    expect(() => h.client.upload(new Uint8Array(3), { dataset: 'transactions', sizeBytes: 4 })).toThrow(
      /differs/,
    );
  });
});

/** A scripted XMLHttpRequest: reports upload progress in three steps, then answers `status`. */
function fakeXhr(status: number, log: { headers: Record<string, string>; sent?: unknown }) {
  return class implements XhrLike {
    status = 0;
    responseText = '';
    private readonly listeners = new Map<string, () => void>();
    private progress: ((event: { loaded: number }) => void) | undefined;
    readonly upload = {
      addEventListener: (_type: 'progress', listener: (event: { loaded: number }) => void) => {
        this.progress = listener;
      },
    };
    open(): void {}
    setRequestHeader(name: string, value: string): void {
      log.headers[name] = value;
    }
    send(body: unknown): void {
      log.sent = body;
      for (const loaded of [3, 6, 9]) this.progress?.({ loaded });
      this.status = status;
      this.responseText = status === 200 ? '' : '<Error><Code>EntityTooLarge</Code></Error>';
      setTimeout(() => this.listeners.get('load')?.(), 0);
    }
    abort(): void {
      this.listeners.get('abort')?.();
    }
    addEventListener(type: string, listener: () => void): void {
      this.listeners.set(type, listener);
    }
  };
}

describe('createXhrUploader', () => {
  const request = (progress: number[]): UploadRequest => ({
    method: 'PUT',
    url: 'https://bucket.example/x',
    headers: { 'Content-Type': 'text/csv', 'Content-Length': '9' },
    body: new Blob(['123456789']),
    sizeBytes: 9,
    signal: new AbortController().signal,
    onProgress: (sent) => progress.push(sent),
  });

  it('reports upload progress and leaves out headers browsers forbid', async () => {
    const log: { headers: Record<string, string>; sent?: unknown } = { headers: {} };
    const progress: number[] = [];
    await createXhrUploader(fakeXhr(200, log))(request(progress));
    expect(progress).toEqual([3, 6, 9, 9]);
    expect(log.headers).toEqual({ 'Content-Type': 'text/csv' });
    expect(log.sent).toBeInstanceOf(Blob);
  });

  it('rejects with UPLOAD_FAILED on an error status', async () => {
    const log = { headers: {} };
    await expect(createXhrUploader(fakeXhr(400, log))(request([]))).rejects.toMatchObject({
      code: 'UPLOAD_FAILED',
      status: 400,
      details: { s3Code: 'EntityTooLarge' },
    });
  });
});

describe('createFetchUploader in browser builds', () => {
  it('rejects every upload with INVALID_ARGUMENT naming the uploader that works', async () => {
    const uploader = browserFetchUploader();
    const upload = uploader({
      method: 'PUT',
      url: 'https://bucket.example/x',
      headers: {},
      body: new Blob(['1']),
      sizeBytes: 1,
      signal: new AbortController().signal,
      onProgress: () => {},
    });
    await expect(upload).rejects.toBeInstanceOf(HeraldClientError);
    await expect(upload).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('createXhrUploader'),
    });
  });
});
