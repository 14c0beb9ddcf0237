import { describe, expect, it } from 'vitest';
import { fileCacheKey, fileNameOf, normaliseFilePath, pathForLog } from '../../src/core/file-path.ts';
import { traversalCorpus } from '../fakes/traversal-corpus.ts';

describe('normaliseFilePath', () => {
  it.each([
    ['reports/2026/q3-summary.csv'],
    ['public/readme.txt'],
    ['users/6f1c1f9e/notes 2026 (final).txt'],
    ['reports/50% off.pdf'],
    ['reports/a..b/c.d..e.csv'],
    ['reports/.hidden-but-fine'],
    ['données/été.csv'],
    [`reports/${'x'.repeat(250)}/${'y'.repeat(250)}/${'z'.repeat(250)}/${'w'.repeat(239)}`],
  ])('accepts %j unchanged', (path) => {
    expect(normaliseFilePath(path)).toEqual({ ok: true, path });
  });

  it('normalises to NFC, so one name typed two ways is one path', () => {
    const decomposed = 'reports/e\u0301te\u0301.csv';
    expect(normaliseFilePath(decomposed)).toEqual({ ok: true, path: 'reports/\u00e9t\u00e9.csv' });
  });

  it.each(traversalCorpus('m1'))('refuses %s', (_label, path) => {
    const checked = normaliseFilePath(path);
    expect(checked.ok).toBe(false);
  });

  it.each([
    ['', 'empty'],
    ['../x', 'dot-segment'],
    ['a/./b', 'dot-segment'],
    ['/etc/passwd', 'absolute'],
    ['a\\b', 'backslash'],
    ['%2e%2e/x', 'percent-encoded'],
    ['%252e/x', 'percent-encoded'],
    ['a\u0000b', 'control-character'],
    ['a\u202eb', 'control-character'],
    ['http://x/y', 'scheme-or-drive'],
    ['C:/x', 'scheme-or-drive'],
    ['a?b', 'reserved-character'],
    ['a//b', 'empty-segment'],
    ['a/', 'empty-segment'],
    ['\uff0e\uff0e/x', 'look-alike'],
    ['a\uff0fb', 'look-alike'],
    ['a\ud800', 'not-unicode'],
    ['x'.repeat(1001), 'too-long'],
    [`a/${'\u00e9'.repeat(600)}`, 'too-long'],
    [`a/${'x'.repeat(256)}`, 'too-long'],
  ])('names the rule that refused %j: %s', (path, rule) => {
    expect(normaliseFilePath(path)).toMatchObject({ ok: false, rule, message: expect.any(String) });
  });

  it('accepts a trailing slash only for folders (grant prefixes)', () => {
    expect(normaliseFilePath('reports/', { folder: true })).toEqual({ ok: true, path: 'reports/' });
    expect(normaliseFilePath('reports//', { folder: true }).ok).toBe(false);
    expect(normaliseFilePath('reports/')).toMatchObject({ ok: false, rule: 'empty-segment' });
  });
});

describe('file path helpers', () => {
  it('names the file, keys the cache and bounds log output', () => {
    expect(fileNameOf('reports/2026/q3.csv')).toBe('q3.csv');
    expect(fileNameOf('readme.txt')).toBe('readme.txt');
    expect(fileCacheKey('reports/2026/q3.csv')).toBe('files/reports/2026/q3.csv');
    expect(pathForLog('x'.repeat(5000))).toHaveLength(201);
  });
});
