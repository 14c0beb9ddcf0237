import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalQueue } from '../../src/queue.ts';
import {
  encodeS3EventKey,
  type S3Notification,
  type S3rverEventRecord,
  s3EventToNotification,
  wireS3EventsToQueue,
} from '../../src/s3-events.ts';

const BUCKET = 'herald-uploads';
const OTHER_BUCKET = 'herald-files';

describe('wireS3EventsToQueue with a real s3rver', () => {
  let dir: string;
  let server: S3rver;
  let client: S3Client;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'herald-s3-events-'));
    server = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: dir,
      vhostBuckets: false,
      configureBuckets: [{ name: BUCKET }, { name: OTHER_BUCKET }],
    });
    const { port } = await server.run();
    client = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      // Without these the SDK streams with aws-chunked framing, which s3rver stores verbatim.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });

  afterAll(async () => {
    client?.destroy();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A queue whose handler collects the S3 notifications it receives. */
  function collectingQueue(): { queue: LocalQueue; notifications: S3Notification[] } {
    const notifications: S3Notification[] = [];
    const queue = new LocalQueue({
      name: 'uploads-events',
      handler: async (event: SQSEvent) => {
        for (const r of event.Records) notifications.push(JSON.parse(r.body) as S3Notification);
        return undefined;
      },
    });
    return { queue, notifications };
  }

  it('turns one PutObject into exactly one SQS message carrying the S3 notification', async () => {
    const { queue, notifications } = collectingQueue();
    const unwire = wireS3EventsToQueue(server, {
      bucket: BUCKET,
      prefix: 'uploads/',
      queue,
      region: 'eu-west-1',
    });
    try {
      const body = 'id,amount\n1,12.50\n2,7.25\n';
      await client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: 'uploads/u-1/job (1) a+b.csv', Body: body }),
      );
      await queue.drain();

      expect(notifications).toHaveLength(1);
      const records = notifications[0]?.Records ?? [];
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'eu-west-1',
        eventName: 'ObjectCreated:Put',
        s3: {
          s3SchemaVersion: '1.0',
          bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
          object: {
            key: 'uploads/u-1/job+%281%29+a%2Bb.csv',
            size: Buffer.byteLength(body),
            eTag: createHash('md5').update(body).digest('hex'),
          },
        },
      });
      expect(records[0]?.s3.object.sequencer).toMatch(/^[0-9A-F]{18}$/);
      expect(Number.isNaN(Date.parse(records[0]?.eventTime ?? ''))).toBe(false);
      // What a worker does with the key: decode it back to the object's real name.
      expect(decodeURIComponent((records[0]?.s3.object.key ?? '').replaceAll('+', ' '))).toBe(
        'uploads/u-1/job (1) a+b.csv',
      );
      expect(queue.stats()).toMatchObject({ delivered: 1, deadLettered: 0 });
    } finally {
      unwire();
      await queue.close();
    }
  });

  it('ignores other buckets, keys outside the prefix or suffix, and event types not configured', async () => {
    const { queue, notifications } = collectingQueue();
    const unwire = wireS3EventsToQueue(server, { bucket: BUCKET, prefix: 'uploads/', suffix: '.csv', queue });
    try {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'elsewhere/a.csv', Body: 'x' }));
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'uploads/a.txt', Body: 'x' }));
      await client.send(new PutObjectCommand({ Bucket: OTHER_BUCKET, Key: 'uploads/a.csv', Body: 'x' }));
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'uploads/kept.csv', Body: 'x' }));
      await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'uploads/kept.csv' }));
      await queue.drain();

      expect(notifications.map((n) => n.Records[0]?.s3.object.key)).toEqual(['uploads/kept.csv']);
    } finally {
      unwire();
      await queue.close();
    }
  });

  it('forwards removals when configured for them, without size or eTag', async () => {
    const { queue, notifications } = collectingQueue();
    const unwire = wireS3EventsToQueue(server, { bucket: BUCKET, queue, events: ['s3:ObjectRemoved:*'] });
    try {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'gone.csv', Body: 'x' }));
      await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'gone.csv' }));
      await queue.drain();

      expect(notifications).toHaveLength(1);
      const record = notifications[0]?.Records[0];
      expect(record?.eventName).toBe('ObjectRemoved:Delete');
      expect(record?.s3.object).not.toHaveProperty('size');
      expect(record?.s3.object).not.toHaveProperty('eTag');
    } finally {
      unwire();
      await queue.close();
    }
  });

  it('stops forwarding once unwired, and a closed queue does not fail the upload', async () => {
    const { queue, notifications } = collectingQueue();
    const lines: string[] = [];
    const unwire = wireS3EventsToQueue(server, { bucket: BUCKET, queue, log: (l) => lines.push(l) });
    await queue.close();
    await expect(
      client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'after-close.csv', Body: 'x' })),
    ).resolves.toBeDefined();
    expect(lines.join('\n')).toMatch(/not queued/);
    unwire();
    lines.length = 0;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'after-unwire.csv', Body: 'x' }));
    expect(lines).toEqual([]);
    expect(notifications).toEqual([]);
  });
});

describe('s3EventToNotification', () => {
  const record: S3rverEventRecord = {
    eventTime: '2026-01-02T03:04:05.678Z',
    eventName: 'ObjectCreated:Put',
    s3: { bucket: { name: 'b' }, object: { key: 'a b/c.csv', size: 3, eTag: 'abc' } },
  };

  it('fixes what s3rver gets wrong: ARN, event version, key encoding, tied sequencers', () => {
    const first = s3EventToNotification(record).Records[0];
    const second = s3EventToNotification(record).Records[0];
    expect(first?.s3.bucket.arn).toBe('arn:aws:s3:::b');
    expect(first?.eventVersion).toBe('2.1');
    expect(first?.eventTime).toBe('2026-01-02T03:04:05.678Z');
    expect(first?.s3.object.key).toBe('a+b/c.csv');
    // Same key, same millisecond: the later event must still compare greater.
    expect(BigInt(`0x${second?.s3.object.sequencer}`)).toBeGreaterThan(
      BigInt(`0x${first?.s3.object.sequencer}`),
    );
  });

  it('encodes keys the way S3 event notifications do', () => {
    expect(encodeS3EventKey('uploads/u1/report 2026.csv')).toBe('uploads/u1/report+2026.csv');
    expect(encodeS3EventKey('a+b=c&d.csv')).toBe('a%2Bb%3Dc%26d.csv');
    expect(encodeS3EventKey("x(1)!'*.csv")).toBe('x%281%29%21%27%2A.csv');
    expect(encodeS3EventKey('ünï/ok-_.~')).toBe('%C3%BCn%C3%AF/ok-_.~');
  });
});
