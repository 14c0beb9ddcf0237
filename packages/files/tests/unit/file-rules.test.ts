import { fullJitterDelay, withRetries } from '@herald/runtime';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SRVGW_RETRY } from '../../src/core/file-backoff.ts';
import { planCache, storableValidators } from '../../src/core/file-cache.ts';
import {
  DEFAULT_ALLOWED_CONTENT_TYPES,
  formatContentType,
  isAllowedContentType,
  parseAllowlist,
  parseContentType,
} from '../../src/core/file-content-type.ts';
import { contentDisposition, downloadFileName } from '../../src/core/file-disposition.ts';
import { parseFileFetchMessage } from '../../src/core/file-fetch-message.ts';
import type { StoredFile } from '../../src/ports.ts';

describe('content types', () => {
  it('parses media type and charset, refusing malformed headers', () => {
    expect(parseContentType('text/CSV; charset="UTF-8"')).toEqual({
      mediaType: 'text/csv',
      charset: 'utf-8',
    });
    expect(parseContentType('image/png')).toEqual({ mediaType: 'image/png' });
    expect(parseContentType('application/pdf; name=x; charset=binary')).toEqual({
      mediaType: 'application/pdf',
      charset: 'binary',
    });
    for (const bad of [
      undefined,
      '',
      'text',
      'text/',
      '/csv',
      'text/csv\r\nx: y',
      `text/${'x'.repeat(300)}`,
    ]) {
      expect(parseContentType(bad)).toBeUndefined();
    }
    expect(formatContentType({ mediaType: 'text/csv', charset: 'utf-8' })).toBe('text/csv; charset=utf-8');
  });

  it('allows the default list and wildcards, never html, svg or unknown binaries by default', () => {
    for (const type of ['text/csv', 'text/plain', 'image/png', 'application/pdf', 'text/markdown']) {
      expect(isAllowedContentType(type, DEFAULT_ALLOWED_CONTENT_TYPES)).toBe(true);
    }
    for (const type of ['text/html', 'image/svg+xml', 'application/octet-stream', 'application/javascript']) {
      expect(isAllowedContentType(type, DEFAULT_ALLOWED_CONTENT_TYPES)).toBe(false);
    }
    expect(isAllowedContentType('image/webp', ['image/*'])).toBe(true);
    expect(isAllowedContentType('imagex/webp', ['image/*'])).toBe(false);
    expect(parseAllowlist(' text/csv , image/* ')).toEqual(['text/csv', 'image/*']);
    expect(parseAllowlist('text/csv, */x')).toBeUndefined();
    expect(parseAllowlist(' , ')).toBeUndefined();
  });
});

describe('download names', () => {
  it('sanitises names and writes RFC 6266 Content-Disposition with a UTF-8 filename*', () => {
    expect(downloadFileName('q3\u202Efdp.exe')).toBe('q3_fdp.exe');
    expect(downloadFileName('..hidden')).toBe('hidden');
    expect(downloadFileName('a"b;c\\d:e.txt')).toBe('a_b_c_d_e.txt');
    expect(downloadFileName('\u0000')).toBe('_');
    expect(downloadFileName('...')).toBe('download');
    expect([...downloadFileName(`${'ä'.repeat(300)}.txt`)]).toHaveLength(255);
    expect(contentDisposition('Bericht März.pdf')).toBe(
      `attachment; filename="Bericht M_rz.pdf"; filename*=UTF-8''Bericht%20M%C3%A4rz.pdf`,
    );
    expect(contentDisposition("it's (100%) *done*.txt")).toBe(
      `attachment; filename="it's (100_) _done_.txt"; filename*=UTF-8''it%27s%20%28100%25%29%20_done_.txt`,
    );
    expect(contentDisposition('📊.csv')).toBe(
      `attachment; filename="_.csv"; filename*=UTF-8''%F0%9F%93%8A.csv`,
    );
  });
});

describe('planCache', () => {
  const stored = (source: StoredFile['source'], storedAt = 0): StoredFile => ({
    key: 'files/a',
    size: 1,
    contentType: 'text/plain',
    storedAt: new Date(storedAt),
    source,
  });

  it('downloads without a copy, or a copy without validators', () => {
    expect(planCache(undefined, 0, 0)).toEqual({ kind: 'download' });
    expect(planCache(stored({}), 0, 0)).toEqual({ kind: 'download' });
  });

  it('revalidates with both validators, or reuses a copy younger than the max age', () => {
    const copy = stored({ etag: '"a"', lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT' }, 1000);
    expect(planCache(copy, 2000, 0)).toEqual({
      kind: 'revalidate',
      ifNoneMatch: '"a"',
      ifModifiedSince: 'Thu, 01 Jan 2026 00:00:00 GMT',
    });
    expect(planCache(copy, 2000, 5000)).toEqual({ kind: 'reuse' });
    expect(planCache(copy, 6000, 5000)).toMatchObject({ kind: 'revalidate' });
    expect(planCache(stored({ lastModified: 'x' }), 0, 0)).toEqual({
      kind: 'revalidate',
      ifModifiedSince: 'x',
    });
  });

  it('stores only header-safe validators', () => {
    expect(storableValidators({ etag: '"ok"', lastModified: 'caf\u00e9' })).toEqual({ etag: '"ok"' });
    expect(storableValidators({ etag: 'x'.repeat(300) })).toEqual({});
  });
});

describe('backoff', () => {
  it('draws full-jitter delays below a doubling, capped ceiling', () => {
    expect(fullJitterDelay(0, DEFAULT_SRVGW_RETRY, () => 0.999)).toBe(249);
    expect(fullJitterDelay(1, DEFAULT_SRVGW_RETRY, () => 0.999)).toBe(499);
    expect(fullJitterDelay(10, DEFAULT_SRVGW_RETRY, () => 0.999)).toBe(1998);
    expect(fullJitterDelay(3, DEFAULT_SRVGW_RETRY, () => 0)).toBe(0);
  });

  it('retries retryable errors until the attempts run out, and stops at once on others or an abort', async () => {
    const sleeps: number[] = [];
    const options = {
      policy: DEFAULT_SRVGW_RETRY,
      random: () => 0.5,
      sleep: async (ms: number) => void sleeps.push(ms),
      retryable: (e: unknown) => (e as Error).message === 'flaky',
    };
    let calls = 0;
    await expect(
      withRetries(async () => {
        calls++;
        throw new Error('flaky');
      }, options),
    ).rejects.toThrow('flaky');
    expect([calls, sleeps]).toEqual([3, [125, 250]]);
    calls = 0;
    await expect(
      withRetries(async () => {
        calls++;
        throw new Error('fatal');
      }, options),
    ).rejects.toThrow('fatal');
    expect(calls).toBe(1);
    expect(await withRetries(async (n) => (n < 2 ? Promise.reject(new Error('flaky')) : 'ok'), options)).toBe(
      'ok',
    );
    const aborted = new AbortController();
    aborted.abort(new Error('budget'));
    await expect(withRetries(async () => 'never', { ...options, signal: aborted.signal })).rejects.toThrow(
      'budget',
    );
  });
});

describe('parseFileFetchMessage', () => {
  it('accepts the queue message and refuses anything else', () => {
    const message = {
      v: 1,
      requestId: '00000000-0000-4000-8000-000000000001',
      userId: 'u-1',
      groups: ['analysts'],
      path: 'reports/q3.csv',
      requestedAt: '2026-01-15T09:00:00.000Z',
    };
    expect(parseFileFetchMessage(JSON.stringify(message))).toEqual(message);
    expect(parseFileFetchMessage('not json')).toBeUndefined();
    expect(parseFileFetchMessage(JSON.stringify({ ...message, v: 2 }))).toBeUndefined();
    expect(parseFileFetchMessage(JSON.stringify({ ...message, token: 'x' }))).toBeUndefined();
  });
});
