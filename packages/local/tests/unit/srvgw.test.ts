import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SampleSrvGw,
  type SrvGwFileStep,
  type SrvGwHooks,
  SrvGwRequestError,
  startSampleSrvGw,
} from '../../src/srvgw.ts';
import { AUTH, CREDENTIAL, raw } from './srvgw-helpers.ts';

const SAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'samples');
const MTIME = new Date('2026-03-04T05:06:07Z');

describe('startSampleSrvGw', () => {
  let root: string;
  let outside: string;
  let gw: SampleSrvGw;
  let bigHash: string;
  const BIG_SIZE = 3 * 1024 * 1024 + 17;

  beforeAll(async () => {
    const base = await mkdtemp(join(tmpdir(), 'herald-srvgw-'));
    root = join(base, 'root');
    outside = join(base, 'outside');
    await mkdir(join(root, 'reports', '2026'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'TOP SECRET');
    await writeFile(join(root, 'reports', '2026', 'q3.csv'), 'a,b\n1,2\n');
    await utimes(join(root, 'reports', '2026', 'q3.csv'), MTIME, MTIME);
    await writeFile(join(root, 'name with space.txt'), 'spaced');
    const big = Buffer.alloc(BIG_SIZE);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    bigHash = createHash('sha256').update(big).digest('hex');
    await writeFile(join(root, 'big.bin'), big);
    await symlink(join(outside, 'secret.txt'), join(root, 'escape.txt'));
    await symlink(outside, join(root, 'escape-dir'));
    gw = await startSampleSrvGw({ root, credential: CREDENTIAL });
  });

  afterAll(async () => {
    await gw?.close();
    await rm(dirname(root), { recursive: true, force: true });
  });

  it('binds to loopback on a free port', () => {
    expect(gw.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses requests without the right bearer credential', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Bearer ${CREDENTIAL}x` },
      { authorization: CREDENTIAL },
      { authorization: `Basic ${CREDENTIAL}` },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${gw.url}/files/reports/2026/q3.csv`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await res.text()).not.toContain('a,b');
    }
  });

  it('serves a file with content type, length, strong ETag and Last-Modified', async () => {
    const res = await fetch(`${gw.url}/files/reports/2026/q3.csv`, { headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-length')).toBe('8');
    expect(res.headers.get('etag')).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(res.headers.get('last-modified')).toBe(MTIME.toUTCString());
    expect(await res.text()).toBe('a,b\n1,2\n');
  });

  it('streams a large file intact', async () => {
    const res = await fetch(`${gw.url}/files/big.bin`, { headers: AUTH });
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-length')).toBe(String(BIG_SIZE));
    const hash = createHash('sha256');
    let chunks = 0;
    for await (const chunk of res.body ?? []) {
      hash.update(chunk);
      chunks++;
    }
    expect(hash.digest('hex')).toBe(bigHash);
    expect(chunks).toBeGreaterThan(1);
  });

  it('answers 304 to a matching If-None-Match, 200 to a stale one', async () => {
    const first = await fetch(`${gw.url}/files/reports/2026/q3.csv`, { headers: AUTH });
    const etag = first.headers.get('etag') ?? '';
    await first.arrayBuffer();

    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await fetch(`${gw.url}/files/reports/2026/q3.csv`, {
        headers: { ...AUTH, 'if-none-match': ifNoneMatch },
      });
      expect(res.status).toBe(304);
      expect(res.headers.get('etag')).toBe(etag);
      expect(await res.text()).toBe('');
    }
    const stale = await fetch(`${gw.url}/files/reports/2026/q3.csv`, {
      headers: { ...AUTH, 'if-none-match': '"0-0"' },
    });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe('a,b\n1,2\n');
  });

  it('changes the ETag when the file changes', async () => {
    const path = join(root, 'changing.txt');
    await writeFile(path, 'v1');
    await utimes(path, MTIME, MTIME);
    const before = (
      await fetch(`${gw.url}/files/changing.txt`, { headers: AUTH, method: 'HEAD' })
    ).headers.get('etag');
    await writeFile(path, 'v2');
    await utimes(path, new Date(MTIME.getTime() + 1000), new Date(MTIME.getTime() + 1000));
    const res = await fetch(`${gw.url}/files/changing.txt`, {
      headers: { ...AUTH, 'if-none-match': before ?? '' },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('v2');
  });

  it('answers 304 to If-Modified-Since at or after Last-Modified, unless If-None-Match disagrees', async () => {
    const url = `${gw.url}/files/reports/2026/q3.csv`;
    const same = await fetch(url, { headers: { ...AUTH, 'if-modified-since': MTIME.toUTCString() } });
    expect(same.status).toBe(304);
    expect(same.headers.get('last-modified')).toBe(MTIME.toUTCString());
    const earlier = new Date(MTIME.getTime() - 1000).toUTCString();
    const older = await fetch(url, { headers: { ...AUTH, 'if-modified-since': earlier } });
    expect(older.status).toBe(200);
    await older.arrayBuffer();
    // RFC 9110: when If-None-Match is present, If-Modified-Since is ignored.
    const both = await fetch(url, {
      headers: { ...AUTH, 'if-modified-since': MTIME.toUTCString(), 'if-none-match': '"nope"' },
    });
    expect(both.status).toBe(200);
    await both.arrayBuffer();
    const garbage = await fetch(url, { headers: { ...AUTH, 'if-modified-since': 'not a date' } });
    expect(garbage.status).toBe(200);
    await garbage.arrayBuffer();
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await raw(gw.url, '/files/reports/2026/q3.csv', { method: 'HEAD', headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe('8');
    expect(res.headers.etag).toBeDefined();
    expect(res.body.length).toBe(0);
  });

  it('refuses path traversal and malformed paths with 400, never serving outside the root', async () => {
    const attempts = [
      '/files/../outside/secret.txt',
      '/files/reports/../../outside/secret.txt',
      '/files/%2e%2e/outside/secret.txt',
      '/files/%2E%2E%2Foutside%2Fsecret.txt',
      '/files/..%2foutside/secret.txt',
      '/files/reports/..%5c..%5coutside%5csecret.txt',
      '/files//etc/passwd',
      '/files/%2Fetc%2Fpasswd',
      '/files/reports/./2026/q3.csv',
      '/files/q3.csv%00.png',
      '/files/bad%zzescape',
      '/files/',
    ];
    for (const path of attempts) {
      const res = await raw(gw.url, path, { headers: AUTH });
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(res.body.toString()).not.toContain('TOP SECRET');
    }
  });

  it('does not follow symlinks out of the root, and answers 404 for missing files and folders', async () => {
    for (const path of [
      '/files/escape.txt',
      '/files/escape-dir/secret.txt',
      '/files/missing.csv',
      '/files/reports',
    ]) {
      const res = await raw(gw.url, path, { headers: AUTH });
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.body.toString()).not.toContain('TOP SECRET');
    }
    // A double-encoded dot-dot is decoded once: a literal (missing) name, not a traversal.
    expect((await raw(gw.url, '/files/%252e%252e/outside/secret.txt', { headers: AUTH })).status).toBe(404);
  });

  it('serves percent-encoded names and refuses other methods', async () => {
    const res = await fetch(`${gw.url}/files/name%20with%20space.txt`, { headers: AUTH });
    expect(await res.text()).toBe('spaced');
    const post = await fetch(`${gw.url}/files/name%20with%20space.txt`, { method: 'POST', headers: AUTH });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    await post.arrayBuffer();
  });

  it('serves the bundled samples', async () => {
    const samples = await startSampleSrvGw({ root: SAMPLES, credential: CREDENTIAL });
    try {
      const png = await fetch(`${samples.url}/files/reports/2026/q3-chart.png`, { headers: AUTH });
      expect(png.headers.get('content-type')).toBe('image/png');
      const bytes = Buffer.from(await png.arrayBuffer());
      expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      const csv = await fetch(`${samples.url}/files/reports/2026/q3-summary.csv`, { headers: AUTH });
      expect((await csv.text()).split('\n')[0]).toBe('region,month,orders,revenue_eur');
      const readme = await fetch(`${samples.url}/files/public/readme.txt`, { headers: AUTH });
      expect(readme.status).toBe(200);
      await readme.arrayBuffer();
    } finally {
      await samples.close();
    }
  });

  it('has no control endpoint: `/_control/` is an unknown path, as under `npm run dev`', async () => {
    const stats = await fetch(`${gw.url}/_control/stats`, { headers: AUTH });
    expect(stats.status).toBe(404);
    await stats.arrayBuffer();
    const write = await fetch(`${gw.url}/_control/files/public/x.txt`, {
      method: 'PUT',
      headers: AUTH,
      body: 'x',
    });
    expect(write.status).toBe(405);
    await write.arrayBuffer();
    expect((await fetch(`${gw.url}/files/public/x.txt`, { headers: AUTH })).status).toBe(404);
  });

  it('closes promptly in the middle of a download, and then refuses connections', async () => {
    const other = await startSampleSrvGw({ root, credential: CREDENTIAL });
    // 256 MiB (sparse) that the client does not read: the response stays in flight.
    const huge = await open(join(root, 'huge.bin'), 'w');
    await huge.truncate(256 * 1024 * 1024);
    await huge.close();
    const res = await fetch(`${other.url}/files/huge.bin`, { headers: AUTH });
    expect(res.status).toBe(200);
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(res.arrayBuffer()).rejects.toThrow();
    await expect(fetch(`${other.url}/files/reports/2026/q3.csv`, { headers: AUTH })).rejects.toThrow();
  });
});

describe('startSampleSrvGw hooks', () => {
  let root: string;
  let overlay: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'herald-srvgw-hooks-'));
    overlay = await mkdtemp(join(tmpdir(), 'herald-srvgw-overlay-'));
    await writeFile(join(root, 'a.txt'), 'from the root');
    await writeFile(join(root, 'b.txt'), 'only in the root');
    await writeFile(join(overlay, 'a.txt'), 'from the overlay');
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
    await rm(overlay, { recursive: true, force: true });
  });

  /** A server whose hooks are given per test; closed after `body` runs. */
  async function withServer(hooks: SrvGwHooks, body: (url: string) => Promise<void>) {
    const gw = await startSampleSrvGw({ root, credential: CREDENTIAL, hooks });
    try {
      await body(gw.url);
    } finally {
      await gw.close();
    }
  }

  it('request sees every request first, with whether it carried the credential, and may answer it', async () => {
    const seen: Array<[string | undefined, boolean]> = [];
    const request = async (req: IncomingMessage, res: ServerResponse, authorized: boolean) => {
      seen.push([req.url, authorized]);
      if (req.url !== '/hooked') return false;
      res.writeHead(418).end();
      return true;
    };
    await withServer({ request }, async (url) => {
      expect((await fetch(`${url}/hooked`)).status).toBe(418);
      expect((await fetch(`${url}/files/a.txt`)).status).toBe(401);
      expect(await (await fetch(`${url}/files/a.txt`, { headers: AUTH })).text()).toBe('from the root');
    });
    expect(seen).toEqual([
      ['/hooked', false],
      ['/files/a.txt', false],
      ['/files/a.txt', true],
    ]);
  });

  it('file sees only authorized GET and HEAD of valid paths, and decides how each goes on', async () => {
    const seen: string[] = [];
    const file = async (path: string, res: ServerResponse): Promise<SrvGwFileStep> => {
      seen.push(path);
      if (path === 'busy/a.txt') throw new SrvGwRequestError(503, 'busy');
      if (path === 'mine/a.txt') {
        res.writeHead(202).end('answered by the hook');
        return 'done';
      }
      return 'serve';
    };
    await withServer({ file }, async (url) => {
      await raw(url, '/files/a.txt');
      await raw(url, '/files/a.txt', { method: 'POST', headers: AUTH });
      await raw(url, '/files/../a.txt', { headers: AUTH });
      expect((await raw(url, '/files/a.txt', { method: 'HEAD', headers: AUTH })).status).toBe(200);
      expect((await raw(url, '/files/missing.txt', { headers: AUTH })).status).toBe(404);
      const busy = await raw(url, '/files/busy/a.txt', { headers: AUTH });
      expect([busy.status, busy.body.toString()]).toEqual([503, '{"error":"busy"}']);
      const mine = await raw(url, '/files/mine/a.txt', { headers: AUTH });
      expect([mine.status, mine.body.toString()]).toEqual([202, 'answered by the hook']);
    });
    expect(seen).toEqual(['a.txt', 'missing.txt', 'busy/a.txt', 'mine/a.txt']);
  });

  it('file may cut a download short after a number of body bytes', async () => {
    await mkdir(join(root, 'cut'), { recursive: true });
    await writeFile(join(root, 'cut', 'a.txt'), 'cut after four bytes');
    await withServer({ file: async () => ({ dropAfterBytes: 4 }) }, async (url) => {
      const res = await raw(url, '/files/cut/a.txt', { headers: AUTH });
      expect(res.headers['content-length']).toBe(String('cut after four bytes'.length));
      expect([res.body.toString(), res.aborted]).toEqual(['cut ', true]);
    });
  });

  it('served tells a 304 from a full download; a HEAD is neither', async () => {
    const answers: string[] = [];
    await withServer({ served: (path, answer) => answers.push(`${path} ${answer}`) }, async (url) => {
      const first = await fetch(`${url}/files/a.txt`, { headers: AUTH });
      const etag = first.headers.get('etag') ?? '';
      await first.arrayBuffer();
      await (
        await fetch(`${url}/files/a.txt`, { headers: { ...AUTH, 'if-none-match': etag } })
      ).arrayBuffer();
      await (await fetch(`${url}/files/a.txt`, { method: 'HEAD', headers: AUTH })).arrayBuffer();
    });
    expect(answers).toEqual(['a.txt download', 'a.txt notModified']);
  });

  it("overlay files shadow the root's, and the root serves the rest", async () => {
    await withServer({ overlay }, async (url) => {
      expect(await (await fetch(`${url}/files/a.txt`, { headers: AUTH })).text()).toBe('from the overlay');
      expect(await (await fetch(`${url}/files/b.txt`, { headers: AUTH })).text()).toBe('only in the root');
    });
  });
});
