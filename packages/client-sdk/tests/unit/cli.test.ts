import { execFile } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliIo, main } from '../../src/cli/main.ts';
import type { UploadRequest } from '../../src/upload.ts';
import { events, FakeHerald } from './support/fake-herald.ts';

const run = promisify(execFile);
let fake: FakeHerald;
const dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
const file = join(dir, 'rows.csv');
writeFileSync(file, 'transaction_id,amount\n1,2\n');

beforeEach(async () => {
  fake = await FakeHerald.start();
});
afterEach(async () => {
  await fake.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(
  env: Record<string, string | undefined> = {},
  tty = false,
  columns = 100,
): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t), isTTY: tty, columns },
    env: { HERALD_API_URL: fake.apiUrl, HERALD_WS_URL: fake.wsUrl, HERALD_TOKEN: 'cli-token', ...env },
    clientOptions: { minReconnectDelayMs: 20, maxReconnectDelayMs: 100 },
    out: () => out,
    err: () => err,
  };
}

describe('herald CLI', () => {
  it('upload exits 0 and reports the loaded rows', async () => {
    fake.onUploaded = (jobId) => {
      fake.publish(events.queued(jobId, 0));
      fake.publish(events.progress(jobId, 1, 50));
      fake.publish(events.succeeded(jobId, 2, 1));
    };
    const out = io({}, true);
    expect(await main(['upload', file, '--dataset', 'transactions'], out)).toBe(0);
    expect(out.out()).toMatch(
      /^Loaded 1 row into transactions \(0 rejected\) from rows\.csv \(26 B\) in 1\.2 s\. Job [0-9a-f-]{36}\n$/,
    );
    // The terminal progress bar redraws one line.
    expect(out.err()).toContain('\r\x1b[2KUploading   [');
    expect(out.err()).toContain('Processing  [');
    expect(fake.requests[0]?.authorization).toBe('Bearer cli-token');
  });

  it('draws the progress bar at 80 columns when the terminal reports 0 columns', async () => {
    fake.onUploaded = (jobId) => {
      fake.publish(events.queued(jobId, 0));
      fake.publish(events.progress(jobId, 1, 50));
      fake.publish(events.succeeded(jobId, 2, 1));
    };
    const out = io({}, true, 0);
    expect(await main(['upload', file, '--dataset', 'transactions'], out)).toBe(0);
    expect(out.err()).toContain('\r\x1b[2KUploading   [');
    expect(out.err()).toContain('Processing  [');
  });

  it('upload --json exits 1 on a failed job and prints the row errors', async () => {
    fake.onUploaded = (jobId) => {
      fake.publish(
        events.failed(jobId, 0, [{ line: 2, column: 'amount', value: 'x', reason: '`x` is not a number' }]),
      );
    };
    const out = io();
    expect(await main(['upload', file, '-d', 'transactions', '--json'], out)).toBe(1);
    const printed = JSON.parse(out.out());
    expect(printed).toMatchObject({
      ok: false,
      error: { code: 'INVALID_VALUE' },
      rowErrors: [{ line: 2, column: 'amount', value: 'x', reason: '`x` is not a number' }],
    });
  });

  it('upload prints the row errors for people', async () => {
    fake.onUploaded = (jobId) => {
      fake.publish(events.failed(jobId, 0, [{ line: 2, column: 'amount', reason: '`x` is not a number' }]));
    };
    const out = io();
    expect(await main(['upload', file, '--dataset', 'transactions'], out)).toBe(1);
    expect(out.err()).toContain('failed (INVALID_VALUE)');
    expect(out.err()).toContain('Rejected rows:\n  line 2, column `amount`: `x` is not a number');
  });

  it('upload --dry-run asks for a dry run and says nothing was loaded', async () => {
    fake.onUploaded = (jobId) => {
      fake.publish({
        type: 'job.validated',
        seq: 0,
        at: new Date().toISOString(),
        jobId,
        rowsLoaded: 1,
        rowsRejected: 0,
        durationMs: 5,
      });
    };
    const out = io();
    expect(await main(['upload', file, '--dataset', 'transactions', '--dry-run'], out)).toBe(0);
    expect(out.out()).toMatch(
      /^Validated: 1 row would load into transactions, nothing was loaded \(0 rejected\)/,
    );
    expect(fake.requests.find((r) => r.path === '/uploads')?.body).toMatchObject({ dryRun: true });
  });

  it('upload sends a file of 4 GiB or more at its real size, up to its last bytes', async () => {
    // Node 20's `fs.openAsBlob` reports a size modulo 2^32 (1 GiB for this file), so a file of
    // 4 GiB or more must not reach the SDK through it. Sparse: no disk is written.
    const big = join(dir, 'big.csv');
    writeFileSync(big, '');
    truncateSync(big, 5 * 1024 ** 3 - 3);
    const fd = openSync(big, 'r+');
    writeSync(fd, 'END', 5 * 1024 ** 3 - 3);
    closeSync(fd);
    let seen: { sizeBytes: number; bodySize: number; tail: string } | undefined;
    const uploader = async (request: UploadRequest) => {
      const body = request.body as Blob;
      seen = { sizeBytes: request.sizeBytes, bodySize: body.size, tail: await body.slice(-3).text() };
      const jobId = request.url.split('/').pop() as string;
      fake.publish(events.queued(jobId, 0));
      fake.publish(events.succeeded(jobId, 1, 1));
    };
    const base = io();
    const out = { ...base, clientOptions: { ...base.clientOptions, uploader } };
    expect(await main(['upload', big, '--dataset', 'transactions'], out)).toBe(0);
    expect(seen).toEqual({ sizeBytes: 5 * 1024 ** 3, bodySize: 5 * 1024 ** 3, tail: 'END' });
    expect(fake.requests.find((r) => r.path === '/uploads')?.body).toMatchObject({
      sizeBytes: 5 * 1024 ** 3,
    });
  });

  it.each([
    [true, 'cancelled; nothing was loaded'],
    [false, 'stopped following; job'],
  ])('on Ctrl-C during an upload asks whether to cancel the job (yes: %s)', async (answer, said) => {
    const controller = new AbortController();
    let uploaded = '';
    fake.onUploaded = (jobId) => {
      uploaded = jobId;
      // The job waits for a worker: the user gives up on it.
      fake.setJob(jobId, { state: 'awaiting_upload' });
      controller.abort();
    };
    const questions: string[] = [];
    const out = {
      ...io(),
      signal: controller.signal,
      confirm: async (question: string) => {
        questions.push(question);
        return answer;
      },
    };
    expect(await main(['upload', file, '--dataset', 'transactions'], out)).toBe(130);
    expect(questions).toEqual([`Cancel job ${uploaded} on the server too? [y/N] `]);
    expect(out.err()).toContain(said);
    const cancelled = fake.requests.some((r) => r.method === 'POST' && r.path === `/jobs/${uploaded}/cancel`);
    expect(cancelled).toBe(answer);
  });

  it('upload exits 1 with the server’s code for an unknown dataset', async () => {
    const out = io();
    expect(await main(['upload', file, '--dataset', 'nope'], out)).toBe(1);
    expect(out.err()).toContain('(UNKNOWN_DATASET)');
  });

  it('jobs lists jobs as a table or JSON', async () => {
    fake.setJob('44444444-4444-4444-8444-444444444444', { state: 'succeeded', rowsLoaded: 1200 });
    const table = io();
    expect(await main(['jobs'], table)).toBe(0);
    expect(table.out()).toMatch(
      /^JOB\s+STATE\s+DATASET\s+FILE\s+ROWS\s+CREATED\n44444444-4444-4444-8444-444444444444\s+succeeded\s+transactions\s+rows\.csv\s+1,200/,
    );
    const json = io();
    expect(await main(['jobs', '--json', '--limit', '5'], json)).toBe(0);
    expect(JSON.parse(json.out()).jobs).toHaveLength(1);
    expect(fake.requests.at(-1)?.path).toBe('/jobs?limit=5');
  });

  it('link prints the download URL', async () => {
    fake.hook = (req) =>
      req.path === '/files/links'
        ? {
            status: 200,
            body: {
              url: 'http://files.example/q3.csv',
              expiresAt: new Date().toISOString(),
              size: 1,
              contentType: 'text/csv',
              fileName: 'q3.csv',
            },
          }
        : undefined;
    const out = io();
    expect(await main(['link', 'reports/q3.csv'], out)).toBe(0);
    expect(out.out()).toBe('http://files.example/q3.csv\n');
  });

  it.each([
    [['upload', file], /needs --dataset/],
    [['upload', '--dataset', 'transactions'], /exactly one file/],
    [['upload', join(dir, 'missing.csv'), '--dataset', 'transactions'], /cannot read/],
    [['frobnicate'], /unknown command "frobnicate"/],
    [['jobs', '--bogus'], /Unknown option '--bogus'/],
  ])('exits 2 with a clear message for %j', async (argv, message) => {
    const out = io();
    expect(await main(argv, out)).toBe(2);
    expect(out.err()).toMatch(message);
  });

  it('exits 2 naming the missing configuration', async () => {
    const out = io({ HERALD_API_URL: undefined, HERALD_TOKEN: undefined });
    expect(await main(['jobs'], out)).toBe(2);
    expect(out.err()).toContain(
      'missing configuration: set --api-url or HERALD_API_URL, --token or HERALD_TOKEN.',
    );
  });

  it('exits 1 with a hint when the token is refused', async () => {
    fake.validToken = () => false;
    const out = io();
    expect(await main(['jobs'], out)).toBe(1);
    expect(out.err()).toContain('(UNAUTHENTICATED) Check HERALD_TOKEN');
  });

  it('runs through the node launcher', async () => {
    const { stdout } = await run(process.execPath, [
      join(import.meta.dirname, '../../bin/herald.mjs'),
      '--help',
    ]);
    expect(stdout).toContain('Usage: herald <command>');
    const failed = await run(process.execPath, [join(import.meta.dirname, '../../bin/herald.mjs'), 'jobs'], {
      env: { ...process.env, HERALD_API_URL: '', HERALD_WS_URL: '', HERALD_TOKEN: '' },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('missing configuration') });
  });
});
