import { describe, expect, it } from 'vitest';
import { decodeJobCursor, encodeJobCursor } from '../../src/core/pagination.ts';

describe('job cursors', () => {
  const jobId = 'c0ffee00-0000-4000-8000-000000000001';

  it('round-trips a job id through an opaque, URL-safe cursor', () => {
    const cursor = encodeJobCursor(jobId);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(jobId);
    expect(decodeJobCursor(cursor)).toBe(jobId);
  });

  it('refuses cursors this server did not make', () => {
    for (const cursor of [
      '',
      'abc',
      jobId,
      Buffer.from(`j1:../x`).toString('base64url'),
      'a'.repeat(300),
      'a+b/c=',
    ]) {
      expect(decodeJobCursor(cursor), cursor).toBeUndefined();
    }
  });
});
