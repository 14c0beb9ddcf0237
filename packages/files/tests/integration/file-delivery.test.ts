import { randomUUID } from 'node:crypto';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { FileGrantListSchema, FileGrantSchema, FileLinkSchema } from '@herald/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traversalCorpus } from '../fakes/traversal-corpus.ts';
import { api, fileStack, SUBS, srvgw, tokenFor } from './support.ts';

// Workflow 2 through the local stack: the REST gateway runs the same handlers as Lambda, the
// sample SRV-GW serves the files (temporary ones in its scratch folder, written through its
// test-only control endpoint), s3rver holds the cache. Every path here is unique to this run,
// so files running in parallel never share SRV-GW counters, faults or cached objects.

const stack = fileStack();
const s3 = new S3Client({
  region: 'us-east-1',
  endpoint: stack.s3.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});
const run = randomUUID().slice(0, 8);
const written: string[] = [];
let alice: string;
let bob: string;
let admin: string;

async function scratch(path: string, body: string | Uint8Array): Promise<string> {
  await srvgw.write(path, body);
  written.push(path);
  return path;
}

/** Whether the files bucket holds a cached copy of a path, and when it was written. */
async function cached(path: string): Promise<Date | undefined> {
  try {
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: stack.s3.buckets.files, Key: `files/${path}` }),
    );
    return head.LastModified;
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
      return undefined;
    throw error;
  }
}

const link = (token: string, path: string, extra: Record<string, unknown> = {}) =>
  api(token, 'POST', '/files/links', { path, ...extra });

beforeAll(async () => {
  [alice, bob, admin] = await Promise.all([tokenFor('alice'), tokenFor('bob'), tokenFor('admin')]);
});
afterAll(async () => {
  for (const path of written) await srvgw.remove(path);
  s3.destroy();
});

describe('POST /files/links through the local stack', () => {
  it('hands an analyst a link that downloads exactly the source bytes, named for the file', async () => {
    const path = 'reports/2026/q3-chart.png';
    const res = await link(alice, path);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const body = FileLinkSchema.parse(res.body);
    expect(body).toMatchObject({ contentType: 'image/png', fileName: 'q3-chart.png' });
    const expiresIn = Date.parse(body.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(280_000);
    expect(expiresIn).toBeLessThanOrEqual(300_000);
    const download = await fetch(body.url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe(
      `attachment; filename="q3-chart.png"; filename*=UTF-8''q3-chart.png`,
    );
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.equals(await srvgw.source(path))).toBe(true);
    expect(body.size).toBe(bytes.byteLength);
  });

  it('lets every signed-in user read public/ and their own home', async () => {
    const own = await scratch(`users/${SUBS.alice}/it-${run}/notes.txt`, 'alice’s notes');
    const res = await link(alice, own);
    expect(res.status).toBe(200);
    expect(await (await fetch(res.body.url)).text()).toBe('alice’s notes');
    expect((await link(admin, 'public/readme.txt')).status).toBe(200);
  });

  it('serves a second request from the cache (a 304, no download), and fetches again after the source changed', async () => {
    // Precisely: every request revalidates (HERALD_FILE_CACHE_MAX_AGE_SECONDS is 0), so SRV-GW
    // counts a hit each time; a cached request is answered 304 (no download), and the cached
    // object in S3 is not rewritten.
    const path = await scratch(`reports/it-${run}/cache.csv`, 'region,orders\nnorth,1\n');
    const first = await link(alice, path);
    expect(first.status).toBe(200);
    const storedAt = await cached(path);
    expect(await srvgw.stats(path)).toEqual({ hits: 1, downloads: 1, notModified: 0 });

    const second = await link(bob, path);
    expect(second.status).toBe(200);
    expect(await srvgw.stats(path)).toEqual({ hits: 2, downloads: 1, notModified: 1 });
    expect(await cached(path)).toEqual(storedAt);
    expect(await (await fetch(second.body.url)).text()).toBe('region,orders\nnorth,1\n');

    await srvgw.write(path, 'region,orders\nnorth,1\nsouth,2\n');
    const third = await link(alice, path);
    expect(third.status).toBe(200);
    expect(await srvgw.stats(path)).toEqual({ hits: 3, downloads: 2, notModified: 1 });
    expect(third.body.size).toBe(30);
    expect(await (await fetch(third.body.url)).text()).toBe('region,orders\nnorth,1\nsouth,2\n');
  });

  it('refuses a path outside the caller’s grants and another user’s home with 403, never asking SRV-GW', async () => {
    const theirs = await scratch(`users/${SUBS.bob}/it-${run}/private.txt`, 'bob only');
    const unGranted = await scratch(`finance/it-${run}/ledger.csv`, 'a,b\n');
    for (const [token, path] of [
      [alice, theirs],
      [admin, theirs],
      [alice, unGranted],
      [admin, 'reports/2026/q3-summary.csv'],
    ] as const) {
      const res = await link(token, path);
      expect({ path, status: res.status, code: res.body.code }).toEqual({
        path,
        status: 403,
        code: 'PATH_NOT_ALLOWED',
      });
    }
    expect((await srvgw.stats(theirs)).hits).toBe(0);
    expect((await srvgw.stats(unGranted)).hits).toBe(0);
    expect(await cached(theirs)).toBeUndefined();
  });

  it('refuses every traversal form with 400 INVALID_PATH, and SRV-GW sees none of them', async () => {
    const marker = `trav${run}`;
    const corpus = traversalCorpus(marker);
    expect(corpus.length).toBeGreaterThanOrEqual(20);
    for (const [label, path] of corpus) {
      const res = await link(alice, path);
      expect({ label, status: res.status, code: res.body.code }).toEqual({
        label,
        status: 400,
        code: 'INVALID_PATH',
      });
    }
    expect(await srvgw.requestsContaining(marker)).toBe(0);
  });

  it('answers 404 FILE_NOT_FOUND for a file SRV-GW does not have, caching nothing', async () => {
    const path = `reports/it-${run}/missing.csv`;
    const res = await link(alice, path);
    expect([res.status, res.body.code]).toEqual([404, 'FILE_NOT_FOUND']);
    expect(await cached(path)).toBeUndefined();
  });

  it('answers 503 UPSTREAM_UNAVAILABLE with Retry-After when SRV-GW fails with 500, caching nothing', async () => {
    const path = await scratch(`reports/it-${run}/five-hundred.csv`, 'a\n');
    await srvgw.fault(path, { status: 500 });
    try {
      const res = await link(alice, path);
      expect([res.status, res.body.code, res.headers.get('retry-after')]).toEqual([
        503,
        'UPSTREAM_UNAVAILABLE',
        '10',
      ]);
      expect((await srvgw.stats(path)).hits).toBe(3);
      expect(await cached(path)).toBeUndefined();
    } finally {
      await srvgw.clearFault(path);
    }
  });

  // On AWS the link function has 10 s: a hanging SRV-GW (5 s idle timeout, retried) outlasts
  // it, so the handler must hand off and answer 202 before Lambda ends it (a 502 otherwise).
  it('answers 202 within the function timeout when SRV-GW hangs past its budget, and the worker retries, caching nothing', async () => {
    const path = await scratch(`reports/it-${run}/hangs.csv`, 'a\n');
    await srvgw.fault(path, { hangMs: 60_000 });
    try {
      const started = Date.now();
      const res = await link(alice, path);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ requestId: expect.any(String) });
      expect(Date.now() - started).toBeLessThan(10_000);
      // The fetch worker takes the request over and tries SRV-GW again.
      const deadline = Date.now() + 20_000;
      const handled = (await srvgw.stats(path)).hits;
      while ((await srvgw.stats(path)).hits <= handled && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await srvgw.stats(path)).hits).toBeGreaterThan(handled);
      expect(await cached(path)).toBeUndefined();
    } finally {
      await srvgw.clearFault(path);
    }
  }, 40_000);

  it('answers 413 FILE_TOO_LARGE for a file over the cap without downloading it, caching nothing', async () => {
    // A sparse 512 MiB + 1 byte file: SRV-GW declares its length, and the client refuses it
    // from the header (HERALD_FILE_MAX_BYTES defaults to 512 MiB).
    const path = `reports/it-${run}/huge.csv`;
    await srvgw.writeSparse(path, 512 * 1024 * 1024 + 1);
    written.push(path);
    const res = await link(alice, path);
    expect([res.status, res.body.code]).toEqual([413, 'FILE_TOO_LARGE']);
    expect(res.body.message).toBe('The file is larger than the 512 MiB file delivery allows.');
    expect(await cached(path)).toBeUndefined();
  });

  it('answers 415 UNSUPPORTED_CONTENT_TYPE for a type outside the allowlist, caching nothing', async () => {
    const path = await scratch(`reports/it-${run}/page.html`, '<script>alert(1)</script>');
    const res = await link(alice, path);
    expect([res.status, res.body.code]).toEqual([415, 'UNSUPPORTED_CONTENT_TYPE']);
    expect(await cached(path)).toBeUndefined();
  });
});

describe('/admin/grants through the local stack', () => {
  it('refuses non-admins with 403', async () => {
    expect((await api(alice, 'GET', '/admin/grants')).status).toBe(403);
    expect((await api(bob, 'POST', '/admin/grants', { pathPrefix: 'x/', group: 'analysts' })).status).toBe(
      403,
    );
    expect((await api(alice, 'DELETE', '/admin/grants/00000000-0000-4000-a000-000000000002')).status).toBe(
      403,
    );
  });

  it('lists the seed grants, and a new grant opens a folder until it is deleted', async () => {
    const listed = FileGrantListSchema.parse((await api(admin, 'GET', '/admin/grants')).body);
    expect(
      listed.grants.filter((g) => g.createdBy === 'migration').map((g) => [g.pathPrefix, g.group]),
    ).toEqual([
      ['public/', '*'],
      ['reports/', 'analysts'],
    ]);
    const folder = `projects-${run}/`;
    const path = await scratch(`${folder}plan.txt`, 'plan');
    expect((await link(alice, path)).status).toBe(403);

    const created = await api(admin, 'POST', '/admin/grants', { pathPrefix: folder, group: 'analysts' });
    expect(created.status).toBe(201);
    const grant = FileGrantSchema.parse(created.body);
    expect(grant.createdBy).toBe(SUBS.admin);
    expect(
      (await api(admin, 'POST', '/admin/grants', { pathPrefix: folder, group: 'analysts' })).status,
    ).toBe(409);
    expect((await link(alice, path)).status).toBe(200);

    expect((await api(admin, 'DELETE', `/admin/grants/${grant.id}`)).status).toBe(204);
    expect((await api(admin, 'DELETE', `/admin/grants/${grant.id}`)).status).toBe(404);
    expect((await link(alice, path)).status).toBe(403);
  });

  it('refuses unsafe prefixes and home folders', async () => {
    const traversal = await api(admin, 'POST', '/admin/grants', { pathPrefix: '../', group: 'analysts' });
    expect([traversal.status, traversal.body.code]).toEqual([400, 'INVALID_PATH']);
    const home = await api(admin, 'POST', '/admin/grants', {
      pathPrefix: `users/${SUBS.bob}/`,
      group: 'analysts',
    });
    expect([home.status, home.body.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
