import { describe, expect, it } from 'vitest';
import {
  errorEnvelope,
  type HeraldEvent,
  HeraldEventSchema,
  isTerminalEvent,
  JobEventSchema,
  MAX_ROW_ERRORS,
} from '../../src/index.ts';

const jobId = '3f1c2b9e-8a4d-4c6b-9e2f-1a2b3c4d5e6f';
const at = '2025-01-02T03:04:05.678Z';

const valid: Record<HeraldEvent['type'], HeraldEvent> = {
  'job.queued': { type: 'job.queued', seq: 0, at, jobId, dataset: 'sales' },
  'job.progress': {
    type: 'job.progress',
    seq: 1,
    at,
    jobId,
    bytesRead: 512,
    bytesTotal: 1024,
    rowsProcessed: 10,
    percent: 50,
    rowsPerSecond: 12.5,
    etaSeconds: 0.8,
  },
  'job.succeeded': {
    type: 'job.succeeded',
    seq: 2,
    at,
    jobId,
    rowsLoaded: 20,
    rowsRejected: 0,
    durationMs: 900,
  },
  'job.failed': {
    type: 'job.failed',
    seq: 2,
    at,
    jobId,
    error: errorEnvelope('VALIDATION_FAILED'),
    rowErrors: [
      { line: 1042, column: 'amount', reason: '`12,5` is not a number' },
      { line: 7, reason: 'too few' },
    ],
  },
  'job.validated': {
    type: 'job.validated',
    seq: 3,
    at,
    jobId,
    rowsLoaded: 20,
    rowsRejected: 1,
    durationMs: 700,
  },
  'job.cancelled': { type: 'job.cancelled', seq: 4, at, jobId, error: errorEnvelope('JOB_CANCELLED') },
  'file.ready': {
    type: 'file.ready',
    seq: 0,
    at,
    requestId: 'req-1',
    path: 'reports/q1.pdf',
    url: 'https://bucket.s3.amazonaws.com/q1.pdf?X-Amz-Signature=abc',
    expiresAt: '2025-01-02T03:09:05.678Z',
    size: 2048,
    contentType: 'application/pdf',
    fileName: 'q1.pdf',
  },
};

describe('HeraldEventSchema', () => {
  it.each(Object.values(valid))('accepts a valid $type event', (event) => {
    expect(HeraldEventSchema.parse(event)).toEqual(event);
  });

  it.each([
    ['a negative seq', { ...valid['job.queued'], seq: -1 }],
    ['a fractional seq', { ...valid['job.queued'], seq: 1.5 }],
    ['a non-ISO timestamp', { ...valid['job.queued'], at: 'yesterday' }],
    ['a jobId that is not a UUID', { ...valid['job.queued'], jobId: 'job-1' }],
    ['percent above 100', { ...valid['job.progress'], percent: 100.1 }],
    ['negative rowsPerSecond', { ...valid['job.progress'], rowsPerSecond: -1 }],
    ['a missing field', { type: 'job.succeeded', seq: 1, at, jobId, rowsLoaded: 1, rowsRejected: 0 }],
    ['an unknown field', { ...valid['job.succeeded'], row: { secret: 'x' } }],
    ['an invalid error envelope', { ...valid['job.failed'], error: { code: 'NOPE', message: 'x' } }],
    ['a row error on line 0', { ...valid['job.failed'], rowErrors: [{ line: 0, reason: 'x' }] }],
    ['a url that is not http(s)', { ...valid['file.ready'], url: 'file:///etc/passwd' }],
    ['an unknown type', { ...valid['job.queued'], type: 'job.exploded' }],
  ])('rejects %s', (_label, event) => {
    expect(HeraldEventSchema.safeParse(event).success).toBe(false);
  });

  it(`accepts at most ${MAX_ROW_ERRORS} row errors`, () => {
    const rowErrors = (n: number) => Array.from({ length: n }, (_, i) => ({ line: i + 1, reason: 'bad' }));
    const event = (n: number) => ({ ...valid['job.failed'], rowErrors: rowErrors(n) });
    expect(HeraldEventSchema.safeParse(event(MAX_ROW_ERRORS)).success).toBe(true);
    expect(HeraldEventSchema.safeParse(event(MAX_ROW_ERRORS + 1)).success).toBe(false);
  });
});

describe('JobEventSchema', () => {
  it('accepts job events', () => {
    expect(JobEventSchema.safeParse(valid['job.progress']).success).toBe(true);
  });

  it('rejects file.ready, which belongs to a file request, not a job', () => {
    expect(JobEventSchema.safeParse(valid['file.ready']).success).toBe(false);
  });
});

describe('isTerminalEvent', () => {
  it.each([
    ['job.queued', false],
    ['job.progress', false],
    ['job.succeeded', true],
    ['job.failed', true],
    ['job.validated', true],
    ['job.cancelled', true],
    ['file.ready', true],
  ] as const)('says %s is terminal: %s', (type, terminal) => {
    expect(isTerminalEvent(valid[type])).toBe(terminal);
  });
});
