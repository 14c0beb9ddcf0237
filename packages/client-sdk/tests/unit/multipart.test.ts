import { createHash, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HeraldClientError } from '../../src/errors.ts';
import { multipartUploader, resumeTokenOf, resumeUpload } from '../../src/multipart.ts';
import { closeClients, harness } from './support/client.ts';
import { events, FakeHerald, type RecordedRequest, type RestReply } from './support/fake-herald.ts';

// The multipart uploader against the fake Herald REST API (multipart routes answered by a hook)
// and a fake S3 behind an injected `fetch` that can drop connections part by part.

const MIB = 1024 * 1024;
const PART = 8 * MIB;
const md5 = (b: Uint8Array) => `"${createHash('md5').update(b).digest('hex')}"`;

interface Upload {
  readonly sizeBytes: number;
  readonly parts: Map<number, Buffer>;
  completed?: Buffer;
}

let fake: FakeHerald;
let uploads: Map<string, Upload>;
/** Part PUTs that reached the fake S3, as `jobId#n`, whether stored or dropped. */
let puts: string[];
/** How many more times to drop each part's PUT (`Infinity`: the network is gone). */
let drops: Map<number, number>;
let inFlight = 0;
let maxInFlight = 0;

const partUrl = (jobId: string, n: number) => `https://s3.fake/${jobId}/${n}`;
const presigned = (jobId: string, upload: Upload, n: number) => ({
  partNumber: n,
  url: partUrl(jobId, n),
  sizeBytes: Math.min(PART, upload.sizeBytes - (n - 1) * PART),
  expiresAt: new Date(Date.now() + 600_000).toISOString(),
});

function multipartRoutes(req: RecordedRequest): RestReply | undefined {
  const [path = ''] = req.path.split('?');
  if (req.method === 'POST' && path === '/uploads') {
    const { sizeBytes, fileName } = req.body as { sizeBytes: number; fileName: string };
    const jobId = randomUUID();
    const upload: Upload = { sizeBytes, parts: new Map() };
    uploads.set(jobId, upload);
    fake.setJob(jobId, { state: 'awaiting_upload', fileName, sizeBytes, startedAt: null });
    const partCount = Math.ceil(sizeBytes / PART);
    return {
      status: 201,
      body: {
        jobId,
        upload: {
          method: 'MULTIPART',
          uploadId: `up-${jobId}`,
          partSize: PART,
          partCount,
          parts: [1, 2].filter((n) => n <= partCount).map((n) => presigned(jobId, upload, n)),
        },
      },
    };
  }
  const match = /^\/uploads\/([^/]+)(\/parts|\/complete)?$/.exec(path);
  const upload = uploads.get(match?.[1] ?? '');
  if (!match || !upload) return undefined;
  const jobId = match[1] as string;
  if (req.method === 'POST' && match[2] === '/parts') {
    const { partNumbers } = req.body as { partNumbers: number[] };
    return { status: 200, body: { parts: partNumbers.map((n) => presigned(jobId, upload, n)) } };
  }
  if (req.method === 'GET' && match[2] === undefined) {
    return {
      status: 200,
      body: {
        jobId,
        uploadId: `up-${jobId}`,
        sizeBytes: upload.sizeBytes,
        partSize: PART,
        partCount: Math.ceil(upload.sizeBytes / PART),
        parts: [...upload.parts]
          .sort(([a], [b]) => a - b)
          .map(([partNumber, bytes]) => ({ partNumber, etag: md5(bytes), sizeBytes: bytes.byteLength })),
      },
    };
  }
  if (req.method === 'POST' && match[2] === '/complete') {
    const { parts } = req.body as { parts: { partNumber: number; etag: string }[] };
    const chosen = parts.map((p) => upload.parts.get(p.partNumber));
    if (chosen.some((b, i) => b === undefined || md5(b) !== parts[i]?.etag))
      return {
        status: 400,
        body: { code: 'INVALID_PART', message: 'A part is missing or its ETag differs.' },
      };
    upload.completed = Buffer.concat(chosen as Buffer[]);
    fake.onUploaded(jobId, upload.completed);
    return { status: 200, body: { jobId } };
  }
  return undefined;
}

/** S3's part PUTs, in memory: drops the connection while `drops` says so. */
async function fakeS3(input: string, init?: RequestInit): Promise<Response> {
  const [, , , jobId = '', n = '0'] = input.split('/');
  const partNumber = Number(n);
  puts.push(`${jobId}#${partNumber}`);
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  try {
    const body = init?.body as Blob | Uint8Array;
    const bytes = body instanceof Blob ? Buffer.from(await body.arrayBuffer()) : Buffer.from(body);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // As a real connection: an aborted request stores nothing.
    if (init?.signal?.aborted) throw new DOMException('The operation was aborted.', 'AbortError');
    const left = drops.get(partNumber) ?? 0;
    if (left > 0) {
      drops.set(partNumber, left - 1);
      throw new TypeError('fetch failed', { cause: new Error('socket hang up') });
    }
    uploads.get(jobId)?.parts.set(partNumber, bytes);
    return new Response(null, { status: 200, headers: { etag: md5(bytes) } });
  } finally {
    inFlight--;
  }
}

const quick = { fetch: fakeS3, minRetryDelayMs: 1, maxRetryDelayMs: 5 };

function file(size: number, seed = 7): Blob {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) bytes[i] = (i / 4096 + seed) % 251;
  return new Blob([bytes]);
}

beforeEach(async () => {
  fake = await FakeHerald.start();
  fake.hook = multipartRoutes;
  fake.onUploaded = (jobId) => {
    fake.publish(events.queued(jobId, 0));
    fake.publish(events.succeeded(jobId, 1, 3000));
  };
  uploads = new Map();
  puts = [];
  drops = new Map();
  inFlight = 0;
  maxInFlight = 0;
});
afterEach(async () => {
  closeClients();
  await fake.close();
});

describe('multipart uploads in the SDK', () => {
  it('sends a large Blob in parts, at most 4 at a time, retrying a dropped part, with one progress stream', async () => {
    const blob = file(70 * MIB);
    drops.set(3, 2);
    const { client } = harness(fake, { uploader: multipartUploader(quick) });
    const upload = client.upload(blob, { dataset: 'transactions', fileName: 'big.csv' });
    const sent: number[] = [];
    upload.on('change', ({ progress: p }) => {
      if (p.phase === 'uploading') sent.push(p.bytesSent);
    });
    await expect(upload.done).resolves.toMatchObject({ rowsLoaded: 3000 });

    const stored = uploads.get(upload.jobId ?? '');
    expect(stored?.completed?.equals(Buffer.from(await blob.arrayBuffer()))).toBe(true);
    expect(puts.filter((p) => p.endsWith('#3'))).toHaveLength(3);
    expect(puts).toHaveLength(9 + 2);
    expect(maxInFlight).toBe(4);
    expect(sent).toEqual([...sent].sort((a, b) => a - b));
    expect(sent.at(-1)).toBe(70 * MIB);
    // Parts 3 to 9 were presigned on demand, a batch at a time.
    const presigns = fake.requests.filter((r) => r.path.endsWith('/parts'));
    expect(presigns.length).toBeGreaterThan(0);
    expect(presigns.length).toBeLessThan(7);
  });

  it("with the runtime's own fetch, streams each Blob part with its length instead of handing over the Blob", async () => {
    // Node's fetch (undici) reads a Blob body whole into a new buffer before sending it; a part's
    // stream with its content-length is sent as it is read. A caller's fetch still gets the slice.
    const blob = file(20 * MIB);
    const realFetch = globalThis.fetch;
    const seen: { isBlob: boolean; length: string | null; duplex: unknown }[] = [];
    vi.stubGlobal('fetch', async (input: string | URL | Request, init?: RequestInit) => {
      if (!String(input).startsWith('https://s3.fake/')) return realFetch(input, init);
      const headers = new Headers(init?.headers);
      seen.push({
        isBlob: init?.body instanceof Blob,
        length: headers.get('content-length'),
        duplex: (init as { duplex?: unknown } | undefined)?.duplex,
      });
      const bytes = new Uint8Array(await new Response(init?.body).arrayBuffer());
      return fakeS3(String(input), { signal: init?.signal ?? null, body: bytes });
    });
    try {
      const { client } = harness(fake, { uploader: multipartUploader({ minRetryDelayMs: 1 }) });
      const upload = client.upload(blob, { dataset: 'transactions', fileName: 'big.csv' });
      await expect(upload.done).resolves.toMatchObject({ rowsLoaded: 3000 });
      const stored = uploads.get(upload.jobId ?? '');
      expect(stored?.completed?.equals(Buffer.from(await blob.arrayBuffer()))).toBe(true);
    } finally {
      vi.unstubAllGlobals();
    }
    expect(seen).toEqual([
      { isBlob: false, length: String(8 * MIB), duplex: 'half' },
      { isBlob: false, length: String(8 * MIB), duplex: 'half' },
      { isBlob: false, length: String(4 * MIB), duplex: 'half' },
    ]);
  });

  it('after a 403 signs that part again, and none of the parts that already landed', async () => {
    let refused = false;
    const refusingOnce = async (input: string, init?: RequestInit) => {
      if (input.endsWith('/1') && !refused) {
        refused = true;
        // Parts 2 and 3 land meanwhile.
        await new Promise((resolve) => setTimeout(resolve, 100));
        return new Response('<Error><Code>AccessDenied</Code></Error>', { status: 403 });
      }
      return fakeS3(input, init);
    };
    const { client } = harness(fake, { uploader: multipartUploader({ ...quick, fetch: refusingOnce }) });
    const upload = client.upload(file(20 * MIB), { dataset: 'transactions', fileName: 'big.csv' });
    await expect(upload.done).resolves.toMatchObject({ rowsLoaded: 3000 });
    const signed = fake.requests
      .filter((r) => r.path.endsWith('/parts'))
      .map((r) => (r.body as { partNumbers: number[] }).partNumbers);
    expect(signed).toEqual([[3], [1]]);
    expect(puts.filter((p) => p.endsWith('#1'))).toHaveLength(1);
  });

  it('after a network loss, resumes from its token: only the missing parts go up, and the file loads', async () => {
    const blob = file(20 * MIB);
    drops.set(2, Number.POSITIVE_INFINITY);
    drops.set(3, Number.POSITIVE_INFINITY);
    const { client } = harness(fake, { uploader: multipartUploader({ ...quick, retries: 2 }) });
    const upload = client.upload(blob, { dataset: 'transactions', fileName: 'big.csv' });
    await expect(upload.done).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    const token = resumeTokenOf(upload);
    expect(token).toMatch(/^herald-upload\.v1\./);
    const jobId = upload.jobId ?? '';
    expect([...(uploads.get(jobId)?.parts.keys() ?? [])]).toEqual([1]);

    drops.clear();
    puts = [];
    const progress: number[] = [];
    const resumed = await resumeUpload(client, token ?? '', blob, {
      ...quick,
      onProgress: (bytes) => progress.push(bytes),
    });
    expect(resumed).toEqual({ jobId, resumedAtBytes: 8 * MIB, sizeBytes: 20 * MIB });
    expect(puts.sort()).toEqual([`${jobId}#2`, `${jobId}#3`]);
    expect(progress[0]).toBe(8 * MIB);
    expect(progress.at(-1)).toBe(20 * MIB);
    expect(uploads.get(jobId)?.completed?.equals(Buffer.from(await blob.arrayBuffer()))).toBe(true);
  });

  it('stops at once on a part its fetch refused for good (the file changed), without retrying it', async () => {
    const changed = new HeraldClientError('UPLOAD_FAILED', 'big.csv ended at byte 9: it changed.', {
      retryable: false,
    });
    const fetch: typeof fakeS3 = async (input, init) => {
      if (!input.endsWith('/2')) return fakeS3(input, init);
      puts.push(input);
      throw changed;
    };
    const { client } = harness(fake, { uploader: multipartUploader({ ...quick, fetch, retries: 3 }) });
    const upload = client.upload(file(20 * MIB), { dataset: 'transactions', fileName: 'big.csv' });
    await expect(upload.done).rejects.toBe(changed);
    expect(puts.filter((p) => p.endsWith('/2'))).toHaveLength(1);
  });

  it('refuses to resume with another file (other content or size) and calls nothing', async () => {
    const blob = file(20 * MIB);
    drops.set(2, Number.POSITIVE_INFINITY);
    const { client } = harness(fake, { uploader: multipartUploader({ ...quick, retries: 0 }) });
    const upload = client.upload(blob, { dataset: 'transactions', fileName: 'big.csv' });
    await expect(upload.done).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    const token = resumeTokenOf(upload) ?? '';
    // Calls the failed upload still had in flight land first.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const partRoutes = () => fake.requests.filter((r) => r.path.startsWith('/uploads/')).length;
    const before = partRoutes();
    puts = [];

    const edited = new Uint8Array(await blob.arrayBuffer());
    edited[edited.byteLength - 1] = 42;
    for (const other of [new Blob([edited]), blob.slice(0, 20 * MIB - 1), file(20 * MIB, 8)]) {
      await expect(resumeUpload(client, token, other, quick)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        message: 'This is not the file the upload started with (its size or content differs).',
      });
    }
    await expect(resumeUpload(client, 'not-a-token', blob, quick)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(partRoutes()).toBe(before);
    expect(puts).toEqual([]);
  });

  it('retries a completion whose answer was lost (a 500 after S3 assembled the object)', async () => {
    let lost = 1;
    const routes = fake.hook;
    fake.hook = (req) => {
      if (req.path.endsWith('/complete') && lost-- > 0) {
        routes?.(req); // S3 completes…
        return { status: 500, body: { code: 'INTERNAL', message: 'Internal server error' } }; // …the answer is lost
      }
      return routes?.(req);
    };
    const { client } = harness(fake, { uploader: multipartUploader(quick) });
    const upload = client.upload(file(17 * MIB), { dataset: 'transactions', fileName: 'big.csv' });
    await expect(upload.done).resolves.toMatchObject({ rowsLoaded: 3000 });
    // The job's events may settle the upload first; the retry follows all the same.
    await expect.poll(() => fake.requests.filter((r) => r.path.endsWith('/complete')).length).toBe(2);
  });

  it('sends a Node stream in parts too, reading one part at a time', async () => {
    const bytes = Buffer.from(await file(17 * MIB).arrayBuffer());
    const { Readable } = await import('node:stream');
    const { client } = harness(fake, { uploader: multipartUploader(quick) });
    const upload = client.upload(Readable.from([bytes.subarray(0, 5 * MIB), bytes.subarray(5 * MIB)]), {
      dataset: 'transactions',
      fileName: 'big.csv',
      sizeBytes: bytes.byteLength,
    });
    await expect(upload.done).resolves.toMatchObject({ rowsLoaded: 3000 });
    expect(uploads.get(upload.jobId ?? '')?.completed?.equals(bytes)).toBe(true);
    // A stream cannot be re-read: no resume token.
    expect(resumeTokenOf(upload)).toBeUndefined();
  });
});
