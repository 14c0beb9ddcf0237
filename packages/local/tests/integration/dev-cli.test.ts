import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli.ts');
const dataDir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Starts `npm run dev`'s CLI on the test's data folder. */
function startCli() {
  return spawn(process.execPath, ['--import', 'tsx', cli, '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs `npm run dev`'s CLI, waits for its banner, reads the API URL, then presses Ctrl-C. */
async function runOnce(whileUp?: (apiUrl: string) => Promise<void>): Promise<{
  banner: string;
  exitCode: number | null;
  apiUrl: string;
  meStatus: number;
}> {
  const child = startCli();
  let banner = '';
  let errors = '';
  child.stderr.on('data', (d) => {
    errors += d;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 60 s; stderr: ${errors}`)), 60_000);
    child.stdout.on('data', (d) => {
      banner += d;
      if (banner.includes('Ctrl-C stops everything')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before the banner; stderr: ${errors}`)));
  });
  const apiUrl = /REST API\s+(\S+)/.exec(banner)?.[1] ?? '';
  const token = /Dev token for alice \(12 h\):\s+(\S+)/.exec(banner)?.[1] ?? '';
  const me = await fetch(`${apiUrl}/me`, { headers: { authorization: `Bearer ${token}` } });
  await whileUp?.(apiUrl);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
  // What the CLI printed while stopping, when it did not stop cleanly: the assertion's context.
  if (exitCode !== 0) console.error(`npm run dev exited ${exitCode}; stderr:\n${errors}`);
  return { banner, exitCode, apiUrl, meStatus: me.status };
}

describe('npm run dev (the local stack CLI)', () => {
  it('prints a banner whose URLs and dev token work, and stops cleanly on Ctrl-C, twice', async () => {
    for (let run = 0; run < 2; run++) {
      const { banner, exitCode, apiUrl, meStatus } = await runOnce();
      expect(banner).toMatch(/WebSocket\s+ws:\/\/127\.0\.0\.1:\d+/);
      expect(apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(meStatus).toBe(200);
      expect(exitCode).toBe(0);
      // After a clean stop the API port is closed.
      await expect(fetch(`${apiUrl}/me`)).rejects.toThrow();
    }
  }, 120_000);

  it('refuses a second stack on the same data folder, naming the one that holds it, and exits non-zero', async () => {
    await runOnce(async (apiUrl) => {
      const second = startCli();
      let stderr = '';
      second.stderr.on('data', (d) => {
        stderr += d;
      });
      const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
      expect(code).toBe(1);
      expect(stderr).not.toMatch(/TypeError/);
      expect(stderr).toMatch(/another local stack \(pid \d+/);
      expect(stderr).toContain(apiUrl);
      expect(stderr).toContain('--data-dir');
      // The first stack is untouched by the refused start.
      expect((await fetch(`${apiUrl}/me`)).status).toBe(401);
    });
  }, 120_000);
});
