import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type LocalS3, startS3 } from '../../src/s3.ts';

// The local S3's multipart front (src/s3-multipart.ts) on a real s3rver: what s3rver 3.7.1 lacks
// of S3's multipart API, with S3's answers, and the bucket's expiry of incomplete uploads.

const MIB = 1024 * 1024;
const BUCKET = 'bucket';
let dir: string;
let s3: LocalS3;
let client: S3Client;
let now = Date.now();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'herald-s3-multipart-'));
  s3 = await startS3({
    dataDir: dir,
    buckets: [{ name: BUCKET, abortIncompleteUploadsAfterDays: 1 }],
    now: () => now,
  });
  client = new S3Client({
    region: 'us-east-1',
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});
afterAll(async () => {
  client?.destroy();
  await s3?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  now = Date.now();
});

const bytes = (size: number, fill: number) => new Uint8Array(size).fill(fill);

async function started(key: string): Promise<string> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
  return UploadId ?? '';
}

async function part(key: string, uploadId: string, n: number, body: Uint8Array): Promise<string> {
  const { ETag } = await client.send(
    new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId, PartNumber: n, Body: body }),
  );
  return ETag ?? '';
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (e: { name?: string; $metadata?: { httpStatusCode?: number } }) =>
      `${e.name} ${e.$metadata?.httpStatusCode}`,
  );

describe('the local S3’s multipart front', () => {
  it('lists the parts it holds (ListParts), by part number, paged by max-parts', async () => {
    const uploadId = await started('list/a.csv');
    const etags = [
      await part('list/a.csv', uploadId, 3, bytes(10, 3)),
      await part('list/a.csv', uploadId, 1, bytes(20, 1)),
    ];
    await part('list/a.csv', uploadId, 2, bytes(30, 2));
    const first = await client.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: 'list/a.csv', UploadId: uploadId, MaxParts: 2 }),
    );
    expect(first.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([
      [1, 20],
      [2, 30],
    ]);
    expect(first.Parts?.[0]?.ETag).toBe(etags[1]);
    expect(first).toMatchObject({ IsTruncated: true, NextPartNumberMarker: '2' });
    const second = await client.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: 'list/a.csv', UploadId: uploadId, PartNumberMarker: '2' }),
    );
    expect(second.Parts?.map((p) => [p.PartNumber, p.ETag])).toEqual([[3, etags[0]]]);
    expect(second.IsTruncated).toBe(false);
  });

  it('refuses a part of an unknown upload (NoSuchUpload) or with a part number outside 1–10,000', async () => {
    expect(await refusal(part('x.csv', '0123456789abcdef0123456789abcdef', 1, bytes(1, 1)))).toBe(
      'NoSuchUpload 404',
    );
    const uploadId = await started('x.csv');
    expect(await refusal(part('other.csv', uploadId, 1, bytes(1, 1)))).toBe('NoSuchUpload 404');
    expect(await refusal(part('x.csv', uploadId, 10_001, bytes(1, 1)))).toBe('InvalidArgument 400');
  });

  it('completes only with every listed part present, its ETag, ascending, and 5 MiB but the last', async () => {
    const key = 'complete/a.csv';
    const uploadId = await started(key);
    const e1 = await part(key, uploadId, 1, bytes(5 * MIB, 1));
    const e2 = await part(key, uploadId, 2, bytes(3, 2));
    const complete = (parts: { PartNumber: number; ETag: string }[]) =>
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    expect(
      await refusal(
        complete([
          { PartNumber: 1, ETag: e1 },
          { PartNumber: 2, ETag: e1 },
        ]),
      ),
    ).toBe('InvalidPart 400');
    expect(
      await refusal(
        complete([
          { PartNumber: 1, ETag: e1 },
          { PartNumber: 4, ETag: e2 },
        ]),
      ),
    ).toBe('InvalidPart 400');
    expect(
      await refusal(
        complete([
          { PartNumber: 2, ETag: e2 },
          { PartNumber: 1, ETag: e1 },
        ]),
      ),
    ).toBe('InvalidPartOrder 400');
    expect(
      await refusal(
        complete([
          { PartNumber: 2, ETag: e2 },
          { PartNumber: 2, ETag: e2 },
        ]),
      ),
    ).toBe('InvalidPartOrder 400');
    const small = await part(key, uploadId, 1, bytes(MIB, 1));
    expect(
      await refusal(
        complete([
          { PartNumber: 1, ETag: small },
          { PartNumber: 2, ETag: e2 },
        ]),
      ),
    ).toBe('EntityTooSmall 400');

    const big = await part(key, uploadId, 1, bytes(5 * MIB, 1));
    await complete([
      { PartNumber: 1, ETag: big },
      { PartNumber: 2, ETag: e2 },
    ]);
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const body = await got.Body?.transformToByteArray();
    expect(body?.byteLength).toBe(5 * MIB + 3);
    expect([body?.[0], body?.[5 * MIB]]).toEqual([1, 2]);
    // A completed upload no longer exists.
    expect(await refusal(complete([{ PartNumber: 1, ETag: big }]))).toBe('NoSuchUpload 404');
  });

  it('settles racing completions and aborts of one upload one at a time: one wins, the others find no upload', async () => {
    for (let round = 0; round < 12; round++) {
      const key = `race/${round}.csv`;
      const uploadId = await started(key);
      const parts = [
        { PartNumber: 1, ETag: await part(key, uploadId, 1, bytes(5 * MIB, 1)) },
        { PartNumber: 2, ETag: await part(key, uploadId, 2, bytes(5 * MIB, 2)) },
        { PartNumber: 3, ETag: await part(key, uploadId, 3, bytes(3, 3)) },
      ];
      const later = async <T>(ms: number, send: () => Promise<T>) => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return send();
      };
      const complete = () =>
        client.send(
          new CompleteMultipartUploadCommand({
            Bucket: BUCKET,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
      const abort = () =>
        client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
      const outcomes = await Promise.all([
        refusal(complete()),
        refusal(later(round % 4, complete)),
        refusal(later(round % 3, abort)),
      ]);
      expect(
        outcomes.filter((o) => o === 'resolved'),
        `round ${round}: ${outcomes}`,
      ).toHaveLength(1);
      expect(outcomes.filter((o) => o !== 'resolved')).toEqual(['NoSuchUpload 404', 'NoSuchUpload 404']);
      const object = await refusal(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key })));
      expect(object, `round ${round}: ${outcomes}`).toBe(
        outcomes[2] === 'resolved' ? 'NoSuchKey 404' : 'resolved',
      );
    }
  }, 60_000);

  it('aborts an upload: its parts are gone, an object under the same key is not', async () => {
    const key = 'abort/a.csv';
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'kept' }));
    const uploadId = await started(key);
    await part(key, uploadId, 1, bytes(10, 1));
    const aborted = await client.send(
      new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }),
    );
    expect(aborted.$metadata.httpStatusCode).toBe(204);
    expect(
      await refusal(client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }))),
    ).toBe('NoSuchUpload 404');
    expect(
      await refusal(
        client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId })),
      ),
    ).toBe('NoSuchUpload 404');
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await got.Body?.transformToString()).toBe('kept');
  });

  it('aborts incomplete uploads a day after they started, when touched and by the sweep', async () => {
    const touched = await started('expiry/a.csv');
    const swept = await started('expiry/b.csv');
    await part('expiry/b.csv', swept, 1, bytes(10, 1));
    now += 24 * 60 * 60 * 1000 - 60_000;
    expect(await s3.sweepExpiredUploads()).toBe(0);
    await part('expiry/a.csv', touched, 1, bytes(10, 1));

    now += 61_000; // the uploads started a few ms after `now` was read
    expect(await refusal(part('expiry/a.csv', touched, 2, bytes(10, 1)))).toBe('NoSuchUpload 404');
    expect(await s3.sweepExpiredUploads()).toBeGreaterThanOrEqual(1);
    expect(
      await refusal(
        client.send(new ListPartsCommand({ Bucket: BUCKET, Key: 'expiry/b.csv', UploadId: swept })),
      ),
    ).toBe('NoSuchUpload 404');
  });
});
