import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ControlledSrvGw, startSrvGwWithControls } from '../../src/testing/srvgw-controls.ts';
import { AUTH, CREDENTIAL, raw } from './srvgw-helpers.ts';

describe('startSrvGwWithControls in process', () => {
  let root: string;
  let gw: ControlledSrvGw;

  beforeAll(async () => {
    root = join(await mkdtemp(join(tmpdir(), 'herald-srvgw-controls-')), 'root');
    await mkdir(join(root, 'reports', '2026'), { recursive: true });
    await mkdir(join(root, 'flaky'), { recursive: true });
    await writeFile(join(root, 'reports', '2026', 'q3.csv'), 'a,b\n1,2\n');
    await writeFile(join(root, 'flaky', 'data.bin'), Buffer.alloc(64 * 1024, 7));
    await writeFile(join(root, 'name with space.txt'), 'spaced');
    gw = await startSrvGwWithControls({ root, credential: CREDENTIAL });
  });

  afterAll(async () => {
    await gw?.close();
    await rm(dirname(root), { recursive: true, force: true });
  });

  afterEach(() => gw.clearFaults());

  it('counts hits per path, conditional requests included', async () => {
    const before = gw.hits();
    const url = `${gw.url}/files/name%20with%20space.txt`;
    const counted = gw.hits('name with space.txt');
    await (await fetch(url, { headers: AUTH })).arrayBuffer();
    const etag = (await fetch(url, { headers: AUTH, method: 'HEAD' })).headers.get('etag') ?? '';
    await (await fetch(url, { headers: { ...AUTH, 'if-none-match': etag } })).arrayBuffer();
    // Refused requests are not hits: nothing was served.
    await (await fetch(url, { headers: { authorization: 'Bearer nope' } })).arrayBuffer();
    await (await fetch(url, { method: 'POST', headers: AUTH })).arrayBuffer();
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

  it('closes promptly with a request hanging, and then refuses connections', async () => {
    const other = await startSrvGwWithControls({ root, credential: CREDENTIAL });
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

describe('startSrvGwWithControls over HTTP (/_control/)', () => {
  let root: string;
  let gw: ControlledSrvGw;
  const control = (path: string, init: RequestInit = {}) =>
    fetch(`${gw.url}/_control${path}`, { ...init, headers: { ...AUTH, ...(init.headers ?? {}) } });

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'herald-srvgw-control-'));
    await mkdir(join(root, 'docs'));
    await writeFile(join(root, 'docs', 'a.txt'), 'from the root');
    gw = await startSrvGwWithControls({ root, credential: CREDENTIAL });
  });

  afterAll(async () => {
    await gw?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('needs the credential', async () => {
    const res = await fetch(`${gw.url}/_control/stats`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    await res.arrayBuffer();
    const wrong = await fetch(`${gw.url}/_control/faults`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer x' },
    });
    expect(wrong.status).toBe(401);
    await wrong.arrayBuffer();
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
    const other = await startSrvGwWithControls({ root, credential: CREDENTIAL });
    const before = (await readdir(tmpdir())).filter((n) => n.startsWith('herald-srvgw-scratch-'));
    await fetch(`${other.url}/_control/files/x/y.txt`, { method: 'PUT', headers: AUTH, body: 'y' });
    await other.close();
    const after = (await readdir(tmpdir())).filter((n) => n.startsWith('herald-srvgw-scratch-'));
    expect(after.length).toBe(before.length - 1);
  });
});
