import { describe, expect, it } from 'vitest';
import { parseS3Notification } from '../../src/core/s3-notification.ts';

const record = (eventName: string, key: string, bucket = 'herald-uploads') => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  eventName,
  s3: { bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object: { key, size: 10, sequencer: '01' } },
});

describe('parseS3Notification', () => {
  it('returns every ObjectCreated record of a message, keys still encoded', () => {
    const body = JSON.stringify({
      Records: [
        record('ObjectCreated:Put', 'uploads/u/a+b.csv'),
        record('ObjectCreated:CompleteMultipartUpload', 'x'),
      ],
    });
    expect(parseS3Notification(body)).toEqual({
      kind: 'records',
      ignored: 0,
      created: [
        { bucket: 'herald-uploads', encodedKey: 'uploads/u/a+b.csv', eventName: 'ObjectCreated:Put' },
        { bucket: 'herald-uploads', encodedKey: 'x', eventName: 'ObjectCreated:CompleteMultipartUpload' },
      ],
    });
  });

  it('counts removals and malformed records as ignored', () => {
    const body = JSON.stringify({
      Records: [record('ObjectRemoved:Delete', 'k'), { nope: true }, record('ObjectCreated:Put', 'k')],
    });
    const parsed = parseS3Notification(body);
    expect(parsed).toMatchObject({ kind: 'records', ignored: 2 });
  });

  it('recognises S3’s test event and refuses what is not a notification', () => {
    expect(parseS3Notification(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent' }))).toEqual({
      kind: 'test',
    });
    expect(parseS3Notification('not json')).toMatchObject({ kind: 'invalid' });
    expect(parseS3Notification('{"Records": 3}')).toMatchObject({ kind: 'invalid' });
    expect(parseS3Notification('[]')).toMatchObject({ kind: 'invalid' });
  });
});
