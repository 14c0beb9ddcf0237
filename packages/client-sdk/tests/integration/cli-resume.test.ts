import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliIo, EXIT, main } from '../../src/cli/main.ts';
import { goodCsv, issueToken, stack } from './support.ts';

// `herald upload` of a file sent in parts, interrupted (Ctrl-C: the launcher aborts io.signal)
// once a part has landed, then `--resume`d, against the local stack.

const dir = mkdtempSync(join(tmpdir(), 'herald-cli-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(env: Record<string, string>, signal?: AbortSignal, onErr?: (text: string) => void) {
  let stdout = '';
  let stderr = '';
  const cli: CliIo = {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: {
      isTTY: true,
      columns: 200,
      write: (t: string) => {
        stderr += t;
        onErr?.(stderr);
        return true;
      },
    },
    env,
    ...(signal && { signal }),
  };
  return { cli, out: () => stdout, err: () => stderr };
}

describe('herald upload --resume', () => {
  it('shows parts in flight, stops on Ctrl-C after a part landed, and --resume finishes from there', async () => {
    const rows = goodCsv(2000).trimEnd().split('\n');
    const body = `${rows.slice(1).join('\n')}\n`;
    const copies = Math.ceil((20 * 1024 * 1024) / body.length);
    const file = join(dir, 'big.csv');
    writeFileSync(file, `${rows[0]}\n${body.repeat(copies)}`);
    const env = {
      HERALD_API_URL: stack().apiUrl,
      HERALD_WS_URL: stack().wsUrl,
      HERALD_TOKEN: await issueToken('alice'),
      HERALD_STATE_DIR: join(dir, 'state'),
    };

    const ctrlC = new AbortController();
    const first = io(env, ctrlC.signal, (text) => {
      if (/parts [1-9]\d*\/3/.test(text)) ctrlC.abort();
    });
    const interrupted = await main(['upload', file, '--dataset', 'transactions'], first.cli);
    expect(interrupted).toBe(EXIT.INTERRUPTED);
    expect(first.err()).toMatch(/in flight/);
    expect(first.err()).toContain(`herald upload ${file} --dataset transactions --resume`);
    expect(readdirSync(join(dir, 'state', 'uploads'))).toHaveLength(1);

    const second = io(env);
    const code = await main(['upload', file, '--dataset', 'transactions', '--resume'], second.cli);
    expect({ code, err: second.err() }).toMatchObject({ code: EXIT.OK });
    expect(second.err()).toMatch(/Resumed at \d+\.\d % \(/);
    expect(second.out()).toContain(`Loaded ${(copies * (rows.length - 1)).toLocaleString('en-US')} rows`);
    expect(readdirSync(join(dir, 'state', 'uploads'))).toEqual([]);
  }, 120_000);
});
