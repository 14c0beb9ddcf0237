import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, describeThrown, LOCK_FILE, lockDataDir } from '../../src/data-dir-lock.ts';

const dirs: string[] = [];
const newDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-lock-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited (so no live process holds it). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

describe('lockDataDir', () => {
  it('refuses a folder a live process holds, naming its pid and URLs', () => {
    const dir = newDir();
    // The test runner's parent stands in for another live stack.
    writeFileSync(
      join(dir, LOCK_FILE),
      JSON.stringify({
        pid: process.ppid,
        startedAt: '2026-12-04T10:00:00.000Z',
        urls: { 'REST API': 'http://127.0.0.1:4000' },
      }),
    );
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    expect(() => lockDataDir(dir)).toThrow(`pid ${process.ppid}`);
    expect(() => lockDataDir(dir)).toThrow('REST API http://127.0.0.1:4000');
  });

  it('takes over a folder whose stack died, and releases it on release()', () => {
    const dir = newDir();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), startedAt: 'then' }));
    const lock = lockDataDir(dir);
    lock.describe({ Demo: 'http://127.0.0.1:5000/' });
    const held = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number; urls: unknown };
    expect(held).toMatchObject({ pid: process.pid, urls: { Demo: 'http://127.0.0.1:5000/' } });
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('takes over an unreadable lock file', () => {
    const dir = newDir();
    writeFileSync(join(dir, LOCK_FILE), '{not json');
    lockDataDir(dir).release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });
});

describe('describeThrown', () => {
  it('turns anything thrown into a sentence, undefined included', () => {
    expect(describeThrown(new Error('port in use'))).toBe('port in use');
    expect(describeThrown('plain text')).toBe('plain text');
    expect(describeThrown(undefined)).toBe('an unknown error (undefined was thrown)');
    expect(describeThrown({ code: 1 })).toBe('an unknown error ({"code":1} was thrown)');
  });
});
