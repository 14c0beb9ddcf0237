// The API `bench/cli-upload-memory.ts` runs `herald upload` against, in its own process: the SDK
// tests' fake Herald (REST + WebSocket) answering multipart uploads, and a part sink that reads
// each part PUT through to its MD5 (the ETag) and keeps nothing. Presigned URLs carry a query as
// long as an S3 URL signed with a role's session token. Prints `{apiUrl, wsUrl}` as one line.
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  events,
  FakeHerald,
  type RecordedRequest,
  type RestReply,
} from '../packages/client-sdk/tests/unit/support/fake-herald.ts';

const PART = 8 * 1024 * 1024;
/** S3 allows 10,000 parts: larger files get larger parts, as the real route decides. */
const partSizeOf = (bytes: number) => Math.max(PART, Math.ceil(bytes / 10_000 / PART) * PART);
const SESSION_TOKEN = 'x'.repeat(1500);

const fake = await FakeHerald.start();
const sink = createServer((req, res) => {
  const md5 = createHash('md5');
  req.on('data', (chunk: Buffer) => md5.update(chunk));
  req.on('end', () => res.writeHead(200, { etag: `"${md5.digest('hex')}"` }).end());
});
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
const uploads = new Map<string, { sizeBytes: number; partSize: number }>();
const presigned = (jobId: string, n: number) => {
  const { sizeBytes, partSize } = uploads.get(jobId) ?? { sizeBytes: 0, partSize: PART };
  return {
    partNumber: n,
    url: `${sinkUrl}/${jobId}/${n}?X-Amz-Security-Token=${SESSION_TOKEN}`,
    sizeBytes: Math.min(partSize, sizeBytes - (n - 1) * partSize),
    expiresAt: new Date(Date.now() + 600_000).toISOString(),
  };
};

fake.hook = (req: RecordedRequest): RestReply | undefined => {
  const [path = ''] = req.path.split('?');
  if (req.method === 'POST' && path === '/uploads') {
    const { sizeBytes, fileName } = req.body as { sizeBytes: number; fileName: string };
    const jobId = randomUUID();
    const partSize = partSizeOf(sizeBytes);
    uploads.set(jobId, { sizeBytes, partSize });
    fake.setJob(jobId, { state: 'awaiting_upload', fileName, sizeBytes, startedAt: null });
    const partCount = Math.ceil(sizeBytes / partSize);
    const first = Array.from({ length: Math.min(16, partCount) }, (_, i) => presigned(jobId, i + 1));
    return {
      status: 201,
      body: {
        jobId,
        upload: { method: 'MULTIPART', uploadId: `up-${jobId}`, partSize, partCount, parts: first },
      },
    };
  }
  const route = /^\/uploads\/([^/]+)\/(parts|complete)$/.exec(path);
  const jobId = route?.[1] ?? '';
  if (!route || !uploads.has(jobId)) return undefined;
  if (route[2] === 'parts') {
    const { partNumbers } = req.body as { partNumbers: number[] };
    return { status: 200, body: { parts: partNumbers.map((n) => presigned(jobId, n)) } };
  }
  fake.setJob(jobId, { state: 'succeeded', rowsLoaded: 1 });
  fake.publish(events.queued(jobId, 1));
  fake.publish(events.succeeded(jobId, 2, 1));
  return { status: 200, body: { jobId } };
};
process.stdout.write(`${JSON.stringify({ apiUrl: fake.apiUrl, wsUrl: fake.wsUrl })}\n`);
