import { randomUUID } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { S3ObjectStore } from '../../src/adapters/s3-object-store.ts';
import { describeObjectStoreContract } from '../contracts/object-store.contract.ts';

const { s3: local } = inject('stack' as never) as { s3: { endpoint: string; buckets: { files: string } } };
// The files bucket: nothing listens to it, so these objects start no ingest job.
const bucket = local.buckets.files;
// The same client options compose.ts uses for an endpoint override.
const client = new S3Client({
  region: 'us-east-1',
  endpoint: local.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const store = new S3ObjectStore({ client, bucket });
afterAll(() => client.destroy());

describeObjectStoreContract('S3ObjectStore on s3rver', async () => ({
  store,
  upload: async (key, body) => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  },
}));

describe('S3ObjectStore presigned URLs', () => {
  const prefix = `presign-${randomUUID()}`;

  it('presigns a PUT that signs Content-Length and Content-Type, and no body checksum', async () => {
    const body = 'transaction_id,amount\n';
    const url = await store.presign({
      method: 'PUT',
      key: `${prefix}/up.csv`,
      contentLength: Buffer.byteLength(body),
      contentType: 'text/csv',
      expiresInSeconds: 900,
    });
    const query = new URL(url).searchParams;
    expect(query.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect(query.get('X-Amz-Expires')).toBe('900');
    // SDK ≥ 3.729 would otherwise sign the CRC32 of an empty body, and S3 refuses real uploads.
    expect([...query.keys()].filter((k) => k.toLowerCase().includes('checksum'))).toEqual([]);
    const put = await fetch(url, { method: 'PUT', headers: { 'content-type': 'text/csv' }, body });
    expect(put.status).toBe(200);
    expect(await store.size(`${prefix}/up.csv`)).toBe(Buffer.byteLength(body));
  });

  it('presigns a GET that downloads as an attachment', async () => {
    await store.put(`${prefix}/report.json`, '{"rowErrors":[]}', 'application/json');
    const url = await store.presign({
      method: 'GET',
      key: `${prefix}/report.json`,
      expiresInSeconds: 300,
      downloadName: 'job-errors.json',
    });
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-disposition')).toBe('attachment; filename="job-errors.json"');
    expect(await got.json()).toEqual({ rowErrors: [] });
  });
});
