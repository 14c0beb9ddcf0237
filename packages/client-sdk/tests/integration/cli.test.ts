import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { badCsv, goodCsv, issueToken, stack } from './support.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '../../bin/herald.mjs');
const dir = mkdtempSync(join(tmpdir(), 'herald-cli-it-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function herald(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    HERALD_API_URL: stack().apiUrl,
    HERALD_WS_URL: stack().wsUrl,
    HERALD_TOKEN: await issueToken('bob'),
  };
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env, timeout: 25_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const { code, stdout, stderr } = err as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

describe('herald CLI against the local stack', () => {
  it('herald upload exits 0 on a good file', async () => {
    const file = join(dir, 'good.csv');
    writeFileSync(file, goodCsv(12));
    const { code, stdout, stderr } = await herald(['upload', file, '--dataset', 'transactions', '--json']);
    expect({ code, stderr }).toMatchObject({ code: 0 });
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, rowsLoaded: 12, fileName: 'good.csv' });
  });

  it('herald upload exits non-zero on a bad file and prints the row errors', async () => {
    const file = join(dir, 'bad.csv');
    writeFileSync(file, badCsv());
    const { code, stderr } = await herald(['upload', file, '--dataset', 'transactions']);
    expect(code).toBe(1);
    expect(stderr).toContain('Rejected rows:');
    expect(stderr).toMatch(/line 3, column `amount`/);
  });

  it('herald jobs --json lists the uploads', async () => {
    const { code, stdout } = await herald(['jobs', '--json', '--limit', '5']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).jobs.length).toBeGreaterThan(0);
  });
});
