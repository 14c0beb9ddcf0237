import { describe, expect, it } from 'vitest';
import { parseUploadKey, reportObjectKey, uploadObjectKey } from '../../src/core/upload-key.ts';

const JOB = 'c0ffee00-0000-4000-8000-000000000001';
const USER = '6f1c1f9e-3b1a-4c55-9d0e-a11ce0000001';

describe('upload keys', () => {
  it('builds uploads/{userId}/{jobId}.csv and reports/{userId}/{jobId}.json', () => {
    expect(uploadObjectKey(USER, JOB)).toBe(`uploads/${USER}/${JOB}.csv`);
    expect(reportObjectKey(USER, JOB)).toBe(`reports/${USER}/${JOB}.json`);
  });

  it('refuses a user id that would change the key’s shape', () => {
    for (const bad of ['a/b', '..', '', 'x\ny', 'a b'])
      expect(() => uploadObjectKey(bad, JOB)).toThrow(RangeError);
    expect(() => uploadObjectKey(USER, 'not-a-uuid')).toThrow(RangeError);
  });

  it('parses a key back into its owner and job', () => {
    expect(parseUploadKey(`uploads/${USER}/${JOB}.csv`)).toEqual({
      userId: USER,
      jobId: JOB,
      objectKey: `uploads/${USER}/${JOB}.csv`,
    });
  });

  it('decodes the notification’s form URL encoding (+ is a space, %XX escapes)', () => {
    expect(parseUploadKey(`uploads/dev%3Aalice/${JOB}.csv`)).toMatchObject({ userId: 'dev:alice' });
    // A space is not key-safe in a user id, so a + that decodes to one is refused, not misread.
    expect(parseUploadKey(`uploads/a+b/${JOB}.csv`)).toBeUndefined();
    expect(parseUploadKey(`uploads/a%2Bb/${JOB}.csv`)).toBeUndefined();
  });

  it('refuses everything that is not exactly an upload key', () => {
    for (const key of [
      `reports/${USER}/${JOB}.json`,
      `uploads/${USER}/${JOB}.CSV`,
      `uploads/${USER}/${JOB}.csv.tmp`,
      `uploads/${USER}/nested/${JOB}.csv`,
      `uploads/${JOB}.csv`,
      `uploads/${USER}/not-a-uuid.csv`,
      `uploads/${USER}/${JOB.toUpperCase()}.csv`,
      `uploads/%E0%A4%A/${JOB}.csv`,
      `uploads/..%2F${USER}/${JOB}.csv`,
    ]) {
      expect(parseUploadKey(key), key).toBeUndefined();
    }
  });
});
