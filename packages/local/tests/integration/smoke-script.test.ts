import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { issueToken, stack } from '../support.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

describe('scripts/smoke.ts (the post-deploy smoke test)', () => {
  it('passes against the local stack and fails with a wrong token', async () => {
    const run = (token: string) =>
      spawnSync(
        process.execPath,
        ['--import', 'tsx', join(root, 'scripts', 'smoke.ts'), '--file', 'public/readme.txt'],
        {
          cwd: root,
          encoding: 'utf8',
          timeout: 90_000,
          env: {
            ...process.env,
            HERALD_API_URL: stack().apiUrl,
            HERALD_WS_URL: stack().wsUrl,
            HERALD_TOKEN: token,
          },
        },
      );
    const good = run(await issueToken('alice'));
    expect(good.stdout).toContain('smoke test passed');
    expect(good.stdout).toMatch(/ok {4}file link for public\/readme\.txt downloads/);
    expect(good.status).toBe(0);
    const bad = run('not-a-token');
    expect(bad.stdout).toMatch(/FAIL {2}GET \/me/);
    expect(bad.status).toBe(1);
  }, 120_000);
});
