import { HeraldClientError, JobFailedError } from '@herald/client-sdk';
import { describe, expect, it } from 'vitest';
import { describeProgress, formatBytes, formatSeconds } from '../../src/format.ts';

describe('describeProgress', () => {
  it('shows upload bytes while uploading', () => {
    const label = describeProgress({
      phase: 'uploading',
      percent: 40,
      bytesSent: 409_600,
      bytesTotal: 1_048_576,
    });
    expect(label).toEqual({ title: 'Uploading', detail: '400 KB of 1 MB' });
  });

  it('shows rows, rows/s and ETA while processing', () => {
    const label = describeProgress({
      phase: 'processing',
      percent: 54.2,
      bytesRead: 5_000_000,
      bytesTotal: 10_000_000,
      rowsProcessed: 54_287,
      rowsPerSecond: 87_138.4,
      etaSeconds: 75.4,
    });
    expect(label).toEqual({ title: 'Processing', detail: '54,287 rows · 87,138 rows/s · ETA 1 min 15 s' });
  });

  it('shows a dash for the ETA until a rate is known', () => {
    const label = describeProgress({
      phase: 'processing',
      percent: 0,
      bytesRead: 0,
      bytesTotal: 10,
      rowsProcessed: 0,
      rowsPerSecond: 0,
      etaSeconds: null,
    });
    expect(label.detail).toBe('0 rows · 0 rows/s · ETA –');
  });

  it('tells a refused file from an upload that did not complete', () => {
    const refused = new JobFailedError('job-1', { code: 'INVALID_VALUE', message: 'bad' }, []);
    const lost = new HeraldClientError('NETWORK_ERROR', 'offline');
    expect(describeProgress({ phase: 'failed', percent: 0, error: refused }).detail).toBe(
      'Nothing was loaded.',
    );
    expect(describeProgress({ phase: 'failed', percent: 10, error: lost }).detail).toBe(
      'The upload did not complete.',
    );
  });
});

describe('formatBytes and formatSeconds', () => {
  it('use the largest fitting unit', () => {
    expect([formatBytes(512), formatBytes(11_600_000), formatSeconds(59.6), formatSeconds(120)]).toEqual([
      '512 B',
      '11.1 MB',
      '1 min',
      '2 min',
    ]);
  });
});
