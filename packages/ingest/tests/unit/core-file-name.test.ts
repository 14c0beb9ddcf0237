import { describe, expect, it } from 'vitest';
import { fileNameProblem } from '../../src/core/file-name.ts';

describe('fileNameProblem', () => {
  it('accepts ordinary CSV file names, in any script and case', () => {
    for (const name of [
      'sales.csv',
      'Q3 Report (final).CSV',
      'données-été.csv',
      '客户.csv',
      '📈.csv',
      'a.b.csv',
    ]) {
      expect(fileNameProblem(name), name).toBeUndefined();
    }
  });

  it('accepts 255 characters and refuses 256', () => {
    expect(fileNameProblem(`${'a'.repeat(251)}.csv`)).toBeUndefined();
    expect(fileNameProblem(`${'a'.repeat(252)}.csv`)).toMatch(/256 characters/);
    // Counted as a person counts: 251 emoji + .csv is 255 characters (but 506 UTF-16 units).
    expect(fileNameProblem(`${'😀'.repeat(251)}.csv`)).toBeUndefined();
  });

  it('refuses empty names, path separators, control and bidi characters', () => {
    expect(fileNameProblem('')).toMatch(/empty/);
    expect(fileNameProblem('../etc/passwd.csv')).toMatch(/\//);
    expect(fileNameProblem('C:\\data\\x.csv')).toMatch(/\\/);
    expect(fileNameProblem('a\u0000.csv')).toMatch(/control/);
    expect(fileNameProblem('a\n.csv')).toMatch(/control/);
    expect(fileNameProblem('a\u0085.csv')).toMatch(/control/);
    expect(fileNameProblem('invoice\u202Evsc.exe.csv')).toMatch(/control/);
    expect(fileNameProblem('bad\uD800.csv')).toMatch(/Unicode/);
  });

  it('wants .csv at the end and a name before it', () => {
    expect(fileNameProblem('data.xlsx')).toMatch(/\.csv/);
    expect(fileNameProblem('data.csv.exe')).toMatch(/\.csv/);
    expect(fileNameProblem('.csv')).toMatch(/name before/);
    expect(fileNameProblem('  .csv')).toMatch(/name before/);
  });
});
