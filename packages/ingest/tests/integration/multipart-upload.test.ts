import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import {
  CreateUploadResponseSchema,
  type JobView,
  JobViewSchema,
  MultipartUploadSchema,
  PresignedPartsSchema,
  UploadStatusSchema,
} from '@herald/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeParts, HEADER, issueToken, putParts as sendParts, sleep, stack } from './support.ts';

// Multipart uploads end to end through the local stack: the REST routes run as their own
// functions under the template's IAM policies, S3 is s3rver behind the local multipart front.

const MIB = 1024 * 1024;
const db = new pg.Client({ connectionString: stack().postgres.connectionString });
const s3 = new S3Client({
  region: 'us-east-1',
  endpoint: stack().s3.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});
let alice: string;

beforeAll(async () => {
  await db.connect();
  alice = await issueToken('alice');
});
afterAll(async () => {
  s3.destroy();
  await db.end();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${stack().apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** A `transactions` CSV of at least `bytes` bytes (whole rows) and its row count. */
function csvOfAtLeast(bytes: number): { data: Buffer; rows: number } {
  const customer = randomUUID();
  const lines = [HEADER];
  let size = HEADER.length + 1;
  while (size < bytes) {
    const line = `${randomUUID()},${customer},${(lines.length % 100_000) / 100},EUR,2026-05-01T10:00:00Z,multipart`;
    lines.push(line);
    size += line.length + 1;
  }
  return { data: Buffer.from(`${lines.join('\n')}\n`), rows: lines.length - 1 };
}

/** POST /uploads for `data` (or a declared size), as a multipart upload. */
async function start(data: Buffer, declared = data.byteLength) {
  const created = await api('POST', '/uploads', {
    dataset: 'transactions',
    fileName: 'big.csv',
    sizeBytes: declared,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const { jobId, upload } = CreateUploadResponseSchema.parse(created.body);
  return { jobId, upload: MultipartUploadSchema.parse(upload) };
}

const partBytes = (data: Buffer, partSize: number, n: number) =>
  data.subarray((n - 1) * partSize, n * partSize);

const putParts = (jobId: string, data: Buffer, partSize: number, numbers: readonly number[]) =>
  sendParts(api, jobId, data, partSize, numbers);

const complete = (jobId: string, etags: ReadonlyMap<number, string>) => completeParts(api, jobId, etags);

async function waitForJob(jobId: string, timeoutMs = 30_000): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = JobViewSchema.parse((await api('GET', `/jobs/${jobId}`)).body);
    if (job.state === 'succeeded' || job.state === 'failed') return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.state} after ${timeoutMs} ms`);
    await sleep(200);
  }
}

async function rowsOf(jobId: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM transactions WHERE _job_id = $1',
    [jobId],
  );
  return rows[0]?.n ?? 0;
}

async function objectsOf(jobId: string): Promise<string[]> {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: stack().s3.buckets.uploads, Prefix: 'uploads/' }),
  );
  return (listed.Contents ?? []).map((o) => o.Key ?? '').filter((key) => key.endsWith(`/${jobId}.csv`));
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('multipart uploads through the local stack', () => {
  it('loads a 200 MiB file sent in 8 MiB parts exactly', { timeout: 300_000 }, async () => {
    const { data, rows } = csvOfAtLeast(200 * MIB);
    const { jobId, upload } = await start(data);
    expect(upload).toMatchObject({
      method: 'MULTIPART',
      partSize: 8 * MIB,
      partCount: Math.ceil(data.byteLength / (8 * MIB)),
    });
    expect(upload.parts.map((p) => p.partNumber)).toEqual(range(1, 8));
    expect(upload.parts[0]?.sizeBytes).toBe(8 * MIB);

    const etags = await putParts(jobId, data, upload.partSize, range(1, upload.partCount));
    const completed = await complete(jobId, etags);
    expect(completed).toEqual({ status: 200, body: { jobId } });

    const job = await waitForJob(jobId, 240_000);
    expect(job).toMatchObject({
      state: 'succeeded',
      rowsLoaded: rows,
      rowsRejected: 0,
      sizeBytes: data.byteLength,
    });
    expect(await rowsOf(jobId)).toBe(rows);
  });

  it('resumes after a connection cut mid-part: lists the parts S3 holds, sends only the rest, loads once', async () => {
    const { data, rows } = csvOfAtLeast(20 * MIB);
    const { jobId, upload } = await start(data);
    expect(upload.partCount).toBe(3);
    const first = await putParts(jobId, data, upload.partSize, [1]);

    // Part 2 is cut after its first MiB: the client aborts the request mid-body.
    const cut = new AbortController();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(partBytes(data, upload.partSize, 2).subarray(0, MIB)));
        setTimeout(() => cut.abort(new Error('network lost')), 200);
      },
    });
    const url = upload.parts.find((p) => p.partNumber === 2)?.url ?? '';
    await expect(
      fetch(url, { method: 'PUT', body, signal: cut.signal, duplex: 'half' } as RequestInit),
    ).rejects.toThrow();

    await sleep(200);
    const listed = await api('GET', `/uploads/${jobId}`);
    expect(listed.status).toBe(200);
    const status = UploadStatusSchema.parse(listed.body);
    expect(status).toMatchObject({
      jobId,
      sizeBytes: data.byteLength,
      partSize: upload.partSize,
      partCount: 3,
    });
    expect(status.parts).toEqual([{ partNumber: 1, etag: first.get(1), sizeBytes: upload.partSize }]);

    const rest = await putParts(jobId, data, upload.partSize, [2, 3]);
    expect((await complete(jobId, new Map([...first, ...rest]))).status).toBe(200);
    const job = await waitForJob(jobId);
    expect(job).toMatchObject({ state: 'succeeded', rowsLoaded: rows });
    expect(await rowsOf(jobId)).toBe(rows);
    // A retried completion (its first answer lost) is answered 200 again and loads nothing twice.
    expect(await complete(jobId, new Map([...first, ...rest]))).toEqual({ status: 200, body: { jobId } });
    await sleep(500);
    expect(await rowsOf(jobId)).toBe(rows);
  });

  it('queues the completion: calls repeated at once all answer 200, the file is assembled and loaded once', async () => {
    // The route answers before S3 assembles (sqs-complete-upload does it): three calls in a row
    // find the upload pending (or completed, its object there) and each queues or skips it.
    const { data, rows } = csvOfAtLeast(40 * MIB);
    const { jobId, upload } = await start(data);
    const etags = await putParts(jobId, data, upload.partSize, range(1, upload.partCount));
    const answers = [
      await complete(jobId, etags),
      await complete(jobId, etags),
      await complete(jobId, etags),
    ];
    expect(answers).toEqual([1, 2, 3].map(() => ({ status: 200, body: { jobId } })));
    const job = await waitForJob(jobId);
    expect(job).toMatchObject({ state: 'succeeded', rowsLoaded: rows, sizeBytes: data.byteLength });
    expect(await rowsOf(jobId)).toBe(rows);
    // One claim: however many S3 events the completions made, one load ran.
    const { rows: claims } = await db.query<{ attempts: number }>(
      'SELECT attempts FROM ingest_jobs WHERE job_id = $1',
      [jobId],
    );
    expect(claims).toEqual([{ attempts: 1 }]);
    expect(await objectsOf(jobId)).toHaveLength(1);
    await sleep(500);
    expect(await rowsOf(jobId)).toBe(rows);
  });

  it('fails a job completed without all its parts (smaller than declared) and deletes the object', async () => {
    const { data } = csvOfAtLeast(20 * MIB);
    const { jobId, upload } = await start(data);
    const etags = await putParts(jobId, data, upload.partSize, [1, 2]);
    expect((await complete(jobId, etags)).status).toBe(200);
    const job = await waitForJob(jobId);
    expect(job.state).toBe('failed');
    expect(job.error?.code).toBe('OBJECT_SMALLER_THAN_DECLARED');
    expect(await rowsOf(jobId)).toBe(0);
    expect(await objectsOf(jobId)).toEqual([]);
  });

  it('fails a job whose parts add up to more than declared and deletes the object', async () => {
    // On AWS the part URLs sign Content-Length, so S3 itself refuses a longer part; s3rver does
    // not check signatures, which lets this test reach the worker's own size check.
    const { data } = csvOfAtLeast(20 * MIB);
    const { jobId, upload } = await start(data, data.byteLength - 100);
    const etags = await putParts(jobId, data, upload.partSize, [1, 2, 3]);
    expect((await complete(jobId, etags)).status).toBe(200);
    const job = await waitForJob(jobId);
    expect(job.error?.code).toBe('OBJECT_LARGER_THAN_DECLARED');
    expect(await objectsOf(jobId)).toEqual([]);
  });

  it('refuses a completion naming a part with another ETag, or a part under 5 MiB that is not the last', async () => {
    const { data } = csvOfAtLeast(20 * MIB);
    const { jobId, upload } = await start(data);
    const etags = await putParts(jobId, data, upload.partSize, [1, 2, 3]);
    const wrong = await complete(jobId, new Map([...etags, [2, '"0123456789abcdef0123456789abcdef"']]));
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ code: 'INVALID_PART' });
    const missing = await api('POST', `/uploads/${jobId}/complete`, {
      parts: [
        { partNumber: 1, etag: etags.get(1) },
        { partNumber: 4, etag: etags.get(1) },
      ],
    });
    expect(missing.body).toMatchObject({ code: 'INVALID_PART' });

    // Part 1 again, 1 MiB short of 5: S3 would answer EntityTooSmall at completion.
    const presigned = PresignedPartsSchema.parse(
      (await api('POST', `/uploads/${jobId}/parts`, { partNumbers: [1] })).body,
    );
    const small = await fetch(presigned.parts[0]?.url ?? '', {
      method: 'PUT',
      body: data.subarray(0, 4 * MIB),
    });
    const tooSmall = await complete(jobId, new Map([...etags, [1, small.headers.get('etag') ?? '']]));
    expect(tooSmall.status).toBe(400);
    expect(tooSmall.body).toMatchObject({ code: 'PART_TOO_SMALL' });
    expect((await api('GET', `/jobs/${jobId}`)).body).toMatchObject({ state: 'awaiting_upload' });
  });

  it('aborts: the parts are discarded, the job fails with UPLOAD_ABORTED, its part URLs stop working', async () => {
    const { data } = csvOfAtLeast(17 * MIB);
    const { jobId, upload } = await start(data);
    await putParts(jobId, data, upload.partSize, [1]);
    expect((await api('DELETE', `/uploads/${jobId}`)).status).toBe(204);

    const job = JobViewSchema.parse((await api('GET', `/jobs/${jobId}`)).body);
    expect(job).toMatchObject({ state: 'failed', error: { code: 'UPLOAD_ABORTED' } });
    expect((await api('GET', `/uploads/${jobId}`)).body).toMatchObject({ code: 'CONFLICT' });
    expect((await api('DELETE', `/uploads/${jobId}`)).status).toBe(409);
    const late = await fetch(upload.parts[1]?.url ?? '', {
      method: 'PUT',
      body: partBytes(data, upload.partSize, 2),
    });
    expect(late.status).toBe(404);
    expect(await late.text()).toContain('<Code>NoSuchUpload</Code>');
    expect(await objectsOf(jobId)).toEqual([]);
  });

  it('keeps a file under the threshold on a single PUT, and refuses part routes for it', async () => {
    const created = await api('POST', '/uploads', {
      dataset: 'transactions',
      fileName: 'small.csv',
      sizeBytes: 1000,
    });
    const { jobId, upload } = CreateUploadResponseSchema.parse(created.body);
    expect(upload.method).toBe('PUT');
    expect((await api('GET', `/uploads/${jobId}`)).status).toBe(404);
    expect((await api('POST', `/uploads/${jobId}/parts`, { partNumbers: [1] })).status).toBe(404);
  });

  it('refuses to presign a part beyond the upload’s part count', async () => {
    const { data } = csvOfAtLeast(17 * MIB);
    const { jobId } = await start(data);
    const res = await api('POST', `/uploads/${jobId}/parts`, { partNumbers: [3, 4] });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
