import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type SampleSrvGw, startSampleSrvGw } from '../../src/srvgw.ts';

const CREDENTIAL = 'test-srvgw-credential';
const AUTH = { authorization: `Bearer ${CREDENTIAL}` };
const SAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'samples');
const MTIME = new Date('2026-03-04T05:06:07Z');

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The connection ended before the whole body arrived. */
  aborted: boolean;
}

/**
 * Sends a request with the path exactly as given: fetch and URL would normalise `..` and
 * `%2e%2e` away before the server saw them, which is what the traversal tests must avoid.
 */
function raw(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
) {
  const { hostname, port } = new URL(base);
  return new Promise<RawResponse>((resolve, reject) => {
    const req = httpRequest(
      { hostname, port, path, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        const done = (aborted: boolean) =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            aborted,
          });
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(false));
        res.on('error', () => done(true));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

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
    await mkdir(join(root, 'flaky'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'TOP SECRET');
    await writeFile(join(root, 'reports', '2026', 'q3.csv'), 'a,b\n1,2\n');
    await utimes(join(root, 'reports', '2026', 'q3.csv'), MTIME, MTIME);
    await writeFile(join(root, 'flaky', 'data.bin'), Buffer.alloc(64 * 1024, 7));
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

  afterEach(() => gw.clearFaults());

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
    expect(gw.hits('reports/2026/q3.csv')).toBe(0);
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

  it('counts hits per path, conditional requests included', async () => {
    const before = gw.hits();
    const url = `${gw.url}/files/name%20with%20space.txt`;
    const counted = gw.hits('name with space.txt');
    await (await fetch(url, { headers: AUTH })).arrayBuffer();
    const etag = (await fetch(url, { headers: AUTH, method: 'HEAD' })).headers.get('etag') ?? '';
    await (await fetch(url, { headers: { ...AUTH, 'if-none-match': etag } })).arrayBuffer();
    await (await fetch(url, { headers: { authorization: 'Bearer nope' } })).arrayBuffer();
    expect(gw.hits('name with space.txt')).toBe(counted + 3);
    expect(gw.hits('/name with space.txt')).toBe(counted + 3);
    expect(gw.hits()).toBe(before + 3);
  });

  it('injects an error status for a path prefix until faults are cleared', async () => {
    gw.setFault('flaky/', { status: 503 });
    gw.setFault('flaky/data.bin', { status: 500 }); // the longer match wins
    const res = await fetch(`${gw.url}/files/flaky/data.bin`, { headers: AUTH });
    expect(res.status).toBe(500);
    await res.arrayBuffer();
    const other = await fetch(`${gw.url}/files/flaky/missing.bin`, { headers: AUTH });
    expect(other.status).toBe(503);
    await other.arrayBuffer();
    gw.clearFaults();
    const ok = await fetch(`${gw.url}/files/flaky/data.bin`, { headers: AUTH });
    expect(ok.status).toBe(200);
    expect((await ok.arrayBuffer()).byteLength).toBe(64 * 1024);
  });

  it('hangs a request so a client timeout fires, then answers normally', async () => {
    gw.setFault('flaky/', { hangMs: 400 });
    const started = Date.now();
    await expect(
      fetch(`${gw.url}/files/flaky/data.bin`, { headers: AUTH, signal: AbortSignal.timeout(100) }),
    ).rejects.toThrow(/abort|timeout/i);
    const slow = await fetch(`${gw.url}/files/flaky/data.bin`, { headers: AUTH });
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(slow.status).toBe(200);
    await slow.arrayBuffer();
  });

  it('drops the connection after a number of body bytes', async () => {
    gw.setFault('flaky/data.bin', { dropAfterBytes: 1000 });
    const res = await raw(gw.url, '/files/flaky/data.bin', { headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(64 * 1024));
    expect(res.body.length).toBe(1000);
    expect(res.aborted).toBe(true);
    const viaFetch = await fetch(`${gw.url}/files/flaky/data.bin`, { headers: AUTH });
    expect(viaFetch.status).toBe(200);
    await expect(viaFetch.arrayBuffer()).rejects.toThrow();
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

  it('closes promptly with a request hanging, and then refuses connections', async () => {
    const other = await startSampleSrvGw({ root, credential: CREDENTIAL });
    other.setFault('', { hangMs: 60_000 });
    const hanging = fetch(`${other.url}/files/reports/2026/q3.csv`, { headers: AUTH }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await hanging).toBeInstanceOf(Error);
    await expect(fetch(`${other.url}/files/reports/2026/q3.csv`, { headers: AUTH })).rejects.toThrow();
  });

  it('splits hits into full downloads and 304s', async () => {
    const url = `${gw.url}/files/reports/2026/q3.csv`;
    const before = gw.stats('reports/2026/q3.csv');
    const first = await fetch(url, { headers: AUTH });
    const etag = first.headers.get('etag') ?? '';
    await first.arrayBuffer();
    await (await fetch(url, { headers: { ...AUTH, 'if-none-match': etag } })).arrayBuffer();
    await (await fetch(url, { headers: AUTH, method: 'HEAD' })).arrayBuffer();
    expect(gw.stats('reports/2026/q3.csv')).toEqual({
      hits: before.hits + 3,
      downloads: before.downloads + 1,
      notModified: before.notModified + 1,
    });
  });
});

describe('startSampleSrvGw control endpoint (test-only)', () => {
  let root: string;
  let gw: SampleSrvGw;
  const control = (path: string, init: RequestInit = {}) =>
    fetch(`${gw.url}/_control${path}`, { ...init, headers: { ...AUTH, ...(init.headers ?? {}) } });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'herald-srvgw-control-'));
    await mkdir(join(root, 'docs'));
    await writeFile(join(root, 'docs', 'a.txt'), 'from the root');
    gw = await startSampleSrvGw({ root, credential: CREDENTIAL });
  });

  afterAll(async () => {
    await gw?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('needs the credential and is not part of the files namespace', async () => {
    const res = await fetch(`${gw.url}/_control/stats`);
    expect(res.status).toBe(401);
    await res.arrayBuffer();
    const disabled = await startSampleSrvGw({ root, credential: CREDENTIAL, control: false });
    try {
      const off = await fetch(`${disabled.url}/_control/stats`, { headers: AUTH });
      expect(off.status).toBe(404);
      await off.arrayBuffer();
    } finally {
      await disabled.close();
    }
  });

  it('reports per-path stats over HTTP', async () => {
    await (await fetch(`${gw.url}/files/docs/a.txt`, { headers: AUTH })).arrayBuffer();
    const res = await control('/stats?path=docs/a.txt');
    expect(await res.json()).toEqual({ hits: 1, downloads: 1, notModified: 0 });
    const none = await control('/stats?path=docs/none.txt');
    expect(await none.json()).toEqual({ hits: 0, downloads: 0, notModified: 0 });
  });

  it('tells whether any request carried a marker, refused ones included', async () => {
    const marker = `m${Date.now().toString(36)}`;
    const seen = async () =>
      (await (await control(`/requests?contains=${marker}`)).json()) as { count: number };
    expect(await seen()).toEqual({ count: 0 });
    await raw(gw.url, `/files/../${marker}`, { headers: AUTH });
    await (await fetch(`${gw.url}/files/${marker}.txt`)).arrayBuffer();
    expect(await seen()).toEqual({ count: 2 });
  });

  it('sets and clears faults over HTTP, refusing malformed ones', async () => {
    const put = await control('/faults', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'docs/', fault: { status: 502 } }),
    });
    expect(put.status).toBe(204);
    const faulted = await fetch(`${gw.url}/files/docs/a.txt`, { headers: AUTH });
    expect(faulted.status).toBe(502);
    await faulted.arrayBuffer();
    for (const fault of [{ status: 42 }, { hangMs: -1 }, { status: 500, hangMs: 1 }, 'x', null]) {
      const bad = await control('/faults', { method: 'PUT', body: JSON.stringify({ path: 'docs/', fault }) });
      expect(bad.status).toBe(400);
      await bad.arrayBuffer();
    }
    expect((await control('/faults?path=docs/', { method: 'DELETE' })).status).toBe(204);
    const ok = await fetch(`${gw.url}/files/docs/a.txt`, { headers: AUTH });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('from the root');
  });

  it('serves scratch files over the root, sparse ones too, and never writes into the root', async () => {
    const put = await control('/files/docs/a.txt', { method: 'PUT', body: 'from scratch' });
    expect(put.status).toBe(204);
    expect(await (await fetch(`${gw.url}/files/docs/a.txt`, { headers: AUTH })).text()).toBe('from scratch');
    const sparse = await control('/files/tmp/big.csv?size=104857600', { method: 'PUT' });
    expect(sparse.status).toBe(204);
    const head = await fetch(`${gw.url}/files/tmp/big.csv`, { headers: AUTH, method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe('104857600');
    expect(await readdir(root)).toEqual(['docs']);
    expect((await stat(join(root, 'docs', 'a.txt'))).size).toBe('from the root'.length);
    expect((await control('/files/docs/a.txt', { method: 'DELETE' })).status).toBe(204);
    expect(await (await fetch(`${gw.url}/files/docs/a.txt`, { headers: AUTH })).text()).toBe('from the root');
    const again = await control('/files/docs/a.txt', { method: 'DELETE' });
    expect(again.status).toBe(404);
    await again.arrayBuffer();
  });

  it('refuses scratch paths that leave the scratch folder', async () => {
    for (const path of ['/_control/files/../x.txt', '/_control/files/%2e%2e/x.txt', '/_control/files/a//b']) {
      const res = await raw(gw.url, path, { method: 'PUT', headers: AUTH });
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
    }
  });

  it('deletes the scratch folder on close', async () => {
    const other = await startSampleSrvGw({ root, credential: CREDENTIAL });
    const before = (await readdir(tmpdir())).filter((n) => n.startsWith('herald-srvgw-scratch-'));
    await fetch(`${other.url}/_control/files/x/y.txt`, { method: 'PUT', headers: AUTH, body: 'y' });
    await other.close();
    const after = (await readdir(tmpdir())).filter((n) => n.startsWith('herald-srvgw-scratch-'));
    expect(after.length).toBe(before.length - 1);
  });
});
