import { FileLinkPendingSchema, FileLinkSchema } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import { HAND_OFF_MARGIN_MS } from '../../src/core/file-link.ts';
import { QueueError, UpstreamTimeoutError } from '../../src/errors.ts';
import { makeHttpCreateFileLinkHandler } from '../../src/handlers/http-create-file-link.ts';
import { ALICE, BOB, fakeDeps } from '../fakes/fake-deps.ts';
import { s3Down } from '../fakes/in-memory-file-store.ts';
import { databaseDown } from '../fakes/in-memory-grant-store.ts';
import { traversalCorpus } from '../fakes/traversal-corpus.ts';

const CSV = 'reports/2026/q3.csv';
const KEY = `files/${CSV}`;

const event = (
  body: unknown,
  claims: Record<string, unknown> = { sub: ALICE, 'cognito:groups': 'analysts' },
) => ({
  body: typeof body === 'string' ? body : JSON.stringify(body),
  // Cognito's tokens always name the user; the claims under test are the sub and the groups.
  requestContext: {
    requestId: 'api-req-1',
    authorizer: { claims: { 'cognito:username': 'someone', ...claims } },
  },
});

function setup(options: Parameters<typeof fakeDeps>[0] = {}) {
  const f = fakeDeps(options);
  f.srvgw.put(CSV, 'region,revenue\nnorth,10\n', 'text/csv; charset=utf-8');
  const handler = makeHttpCreateFileLinkHandler(f.provide);
  const call = async (body: unknown, claims?: Record<string, unknown>, timeLeftMs?: number) => {
    const context = timeLeftMs === undefined ? undefined : { getRemainingTimeInMillis: () => timeLeftMs };
    const response = await handler(event(body, claims), context);
    return { ...response, json: response.body === '' ? undefined : JSON.parse(response.body) };
  };
  return { ...f, call };
}

const decisions = (entries: Record<string, unknown>[]) =>
  entries.filter((e) => e.message === 'file access decision').map((e) => [e.decision, e.rule, e.path]);

describe('http-create-file-link handler', () => {
  it('answers 200 with a presigned link, sends the same link as file.ready, and logs the decision', async () => {
    const f = setup();
    const res = await f.call({ path: CSV });
    expect(res.statusCode).toBe(200);
    const link = FileLinkSchema.parse(res.json);
    expect(link).toMatchObject({
      size: 24,
      contentType: 'text/csv; charset=utf-8',
      fileName: 'q3.csv',
      expiresAt: '2026-01-15T09:05:00.000Z',
    });
    expect(f.files.presigned).toEqual([
      {
        key: KEY,
        expiresInSeconds: 300,
        contentDisposition: `attachment; filename="q3.csv"; filename*=UTF-8''q3.csv`,
      },
    ]);
    expect(f.files.objects.get(KEY)?.body.toString()).toBe('region,revenue\nnorth,10\n');
    expect(f.notifier.sent).toEqual([
      {
        userId: ALICE,
        event: { type: 'file.ready', seq: 1, at: '2026-01-15T09:00:00.000Z', path: CSV, ...link },
      },
    ]);
    expect(decisions(f.logs.entries)).toEqual([['allow', 'grant reports/ → analysts', CSV]]);
    expect(f.logs.entries.find((e) => e.message === 'file access decision')).toMatchObject({
      userId: ALICE,
      groups: ['analysts'],
    });
    expect(f.logs.text).not.toContain('secret-sig');
    expect(f.logs.text).not.toContain(link.url);
  });

  it('lets every user read their own home, and reads groups however API Gateway renders them', async () => {
    const f = setup();
    f.srvgw.put(`users/${BOB}/notes.txt`, 'bob');
    const own = await f.call({ path: `users/${BOB}/notes.txt` }, { sub: BOB });
    expect(own.statusCode).toBe(200);
    for (const groups of ['analysts', 'sales,analysts', '[sales analysts]', '["analysts"]']) {
      expect((await f.call({ path: CSV }, { sub: BOB, 'cognito:groups': groups })).statusCode).toBe(200);
    }
  });

  it('refuses another user’s home and paths outside the grants with 403, without asking SRV-GW', async () => {
    const f = setup();
    f.srvgw.put(`users/${BOB}/notes.txt`, 'bob');
    for (const [claims, path] of [
      [{ sub: ALICE, 'cognito:groups': 'analysts' }, `users/${BOB}/notes.txt`],
      [{ sub: ALICE, 'cognito:groups': 'admins' }, `users/${BOB}/notes.txt`],
      [{ sub: ALICE }, CSV],
      [{ sub: ALICE, 'cognito:groups': 'sales' }, CSV],
      [{ sub: ALICE, 'cognito:groups': 'analysts' }, 'finance/q3.csv'],
    ] as const) {
      const res = await f.call({ path }, claims);
      expect({ path, status: res.statusCode, code: res.json.code }).toEqual({
        path,
        status: 403,
        code: 'PATH_NOT_ALLOWED',
      });
    }
    expect(f.srvgw.calls).toEqual([]);
    expect(decisions(f.logs.entries).map(([d, rule]) => [d, rule])).toEqual([
      ['deny', 'home-of-another-user'],
      ['deny', 'home-of-another-user'],
      ['deny', 'no-grant'],
      ['deny', 'no-grant'],
      ['deny', 'no-grant'],
    ]);
  });

  it('refuses every traversal form with 400 INVALID_PATH before any grant lookup or SRV-GW request', async () => {
    const f = setup();
    const corpus = traversalCorpus('m1');
    expect(corpus.length).toBeGreaterThanOrEqual(20);
    for (const [label, path] of [...corpus, ['empty', '']] as const) {
      const res = await f.call({ path });
      expect({ label, status: res.statusCode, code: res.json.code }).toEqual({
        label,
        status: 400,
        code: 'INVALID_PATH',
      });
      expect(res.json.details.rule).toEqual(expect.any(String));
    }
    expect(f.grants.lookups).toBe(0);
    expect(f.srvgw.calls).toEqual([]);
    expect(decisions(f.logs.entries)).toHaveLength(corpus.length + 1);
    expect(
      decisions(f.logs.entries).every(
        ([d, rule]) => d === 'deny' && String(rule).startsWith('invalid-path:'),
      ),
    ).toBe(true);
  });

  it('refuses a malformed body with the shared codes', async () => {
    const f = setup();
    expect((await f.call('not json')).json.code).toBe('BAD_REQUEST');
    expect((await f.call({ path: 42 })).json.code).toBe('VALIDATION_FAILED');
    expect((await f.call({ path: CSV, extra: true })).json.code).toBe('VALIDATION_FAILED');
    expect((await f.call({ path: CSV, waitMs: -1 })).json.code).toBe('VALIDATION_FAILED');
  });

  it('serves a fresh copy from the cache after a 304, and downloads again when the source changed', async () => {
    const f = setup();
    await f.call({ path: CSV });
    const second = await f.call({ path: CSV });
    expect(second.statusCode).toBe(200);
    expect(f.srvgw.calls[1]).toEqual({
      path: CSV,
      ifNoneMatch: f.srvgw.validatorsOf(CSV)?.etag,
      ifModifiedSince: f.srvgw.validatorsOf(CSV)?.lastModified,
    });
    expect([f.srvgw.downloads, f.srvgw.notModified, f.files.writes]).toEqual([1, 1, 1]);
    f.srvgw.put(CSV, 'region,revenue\nsouth,20\nwest,5\n', 'text/csv; charset=utf-8');
    const third = await f.call({ path: CSV });
    expect(third.json.size).toBe(31);
    expect([f.srvgw.downloads, f.srvgw.notModified, f.files.writes]).toEqual([2, 1, 2]);
    expect(f.files.objects.get(KEY)?.body.toString()).toBe('region,revenue\nsouth,20\nwest,5\n');
    expect(f.files.objects.get(KEY)?.source).toEqual(f.srvgw.validatorsOf(CSV));
    expect(f.logs.entries.filter((e) => e.message === 'file link issued').map((e) => e.outcome)).toEqual([
      'downloaded',
      'revalidated',
      'downloaded',
    ]);
  });

  it('reuses a copy younger than the configured max age without asking SRV-GW', async () => {
    const f = setup({ delivery: { cacheMaxAgeMs: 60_000 } });
    await f.call({ path: CSV });
    f.clock.advance(59_000);
    await f.call({ path: CSV });
    expect(f.srvgw.calls).toHaveLength(1);
    f.clock.advance(2000);
    await f.call({ path: CSV });
    expect(f.srvgw.calls).toHaveLength(2);
  });

  it.each([
    [{ status: 404 }, 404, 'FILE_NOT_FOUND', undefined, 1],
    [{ status: 403 }, 503, 'UPSTREAM_UNAVAILABLE', '10', 1],
    [{ status: 500 }, 503, 'UPSTREAM_UNAVAILABLE', '10', 3],
    [{ error: new UpstreamTimeoutError('idle', 5000) }, 504, 'UPSTREAM_TIMEOUT', '10', 3],
  ])(
    'maps SRV-GW fault %j to %i %s and leaves nothing in S3',
    async (fault, status, code, retryAfter, calls) => {
      const f = setup();
      f.srvgw.fault(CSV, fault, fault, fault);
      const res = await f.call({ path: CSV });
      expect([res.statusCode, res.json.code, res.headers['retry-after']]).toEqual([status, code, retryAfter]);
      expect(f.srvgw.calls).toHaveLength(calls);
      expect(f.files.objects.size).toBe(0);
      expect(f.notifier.sent).toEqual([]);
      if (calls === 3) expect(f.sleeps).toEqual([249, 499]);
    },
  );

  it('answers 404 for a file SRV-GW does not have, and drops a cached copy of a file that is gone', async () => {
    const f = setup();
    const res = await f.call({ path: 'reports/missing.csv' });
    expect([res.statusCode, res.json.code]).toEqual([404, 'FILE_NOT_FOUND']);
    await f.call({ path: CSV });
    expect(f.files.objects.has(KEY)).toBe(true);
    f.srvgw.fault(CSV, { status: 404 });
    const gone = await f.call({ path: CSV });
    expect([gone.statusCode, gone.json.code]).toEqual([404, 'FILE_NOT_FOUND']);
    expect(f.files.objects.has(KEY)).toBe(false);
  });

  it('retries a 5xx and a connection broken mid-body, aborting the partial upload', async () => {
    const f = setup();
    f.srvgw.chunkSize = 4;
    f.srvgw.fault(CSV, { status: 503 }, { breakAfterBytes: 8 });
    const res = await f.call({ path: CSV });
    expect(res.statusCode).toBe(200);
    expect(f.srvgw.calls).toHaveLength(3);
    expect(f.files.abortedWrites).toBe(1);
    expect(f.files.objects.get(KEY)?.size).toBe(24);
  });

  it('keeps the previous copy when downloading a new version fails', async () => {
    const f = setup();
    await f.call({ path: CSV });
    f.srvgw.put(CSV, 'region,revenue\nchanged,1\n', 'text/csv; charset=utf-8');
    f.srvgw.fault(CSV, { breakAfterBytes: 16 }, { breakAfterBytes: 16 }, { breakAfterBytes: 16 });
    const res = await f.call({ path: CSV });
    expect(res.statusCode).toBe(503);
    expect(f.files.objects.get(KEY)?.body.toString()).toBe('region,revenue\nnorth,10\n');
  });

  it('refuses an over-size file from its declared size without reading it, and a chunked one while streaming', async () => {
    const f = setup({ delivery: { maxBytes: 10 } });
    const declared = await f.call({ path: CSV });
    expect([declared.statusCode, declared.json.code]).toEqual([413, 'FILE_TOO_LARGE']);
    expect(declared.json.message).toBe('The file is larger than the 10 bytes file delivery allows.');
    expect([f.srvgw.cancelled, f.files.writes]).toEqual([1, 0]);
    f.srvgw.fault(CSV, { undeclaredSize: true });
    const chunked = await f.call({ path: CSV });
    expect([chunked.statusCode, chunked.json.code]).toEqual([413, 'FILE_TOO_LARGE']);
    expect(f.files.abortedWrites).toBe(1);
    expect(f.files.objects.size).toBe(0);
    expect(f.srvgw.calls).toHaveLength(2);
  });

  it('names the limit in MiB for real limits', async () => {
    const f = setup({ delivery: { maxBytes: 512 * 1024 * 1024 } });
    f.srvgw.fault(CSV, { declaredSize: 600 * 1024 * 1024 });
    const res = await f.call({ path: CSV });
    expect(res.json.message).toBe('The file is larger than the 512 MiB file delivery allows.');
  });

  it('refuses content types outside the allowlist without reading the body', async () => {
    const f = setup();
    f.srvgw.put('reports/page.html', '<script>alert(1)</script>', 'text/html; charset=utf-8');
    f.srvgw.put('reports/blob', 'x', null);
    for (const path of ['reports/page.html', 'reports/blob']) {
      const res = await f.call({ path });
      expect([res.statusCode, res.json.code]).toEqual([415, 'UNSUPPORTED_CONTENT_TYPE']);
    }
    expect([f.srvgw.cancelled, f.files.writes]).toEqual([2, 0]);
  });

  it('deletes a stored copy whose size differs from the bytes sent', async () => {
    const f = setup({ delivery: { retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 } } });
    f.files.truncateStoredBy = 1;
    const res = await f.call({ path: CSV });
    expect([res.statusCode, res.json.code]).toEqual([503, 'UPSTREAM_UNAVAILABLE']);
    expect(f.files.objects.size).toBe(0);
  });

  it('answers 202 and queues the fetch when the budget runs out, leaving nothing in S3', async () => {
    const f = setup({ delivery: { budgetMs: 50 } });
    f.srvgw.fault(CSV, { hang: true });
    const res = await f.call({ path: CSV });
    expect(res.statusCode).toBe(202);
    const { requestId } = FileLinkPendingSchema.parse(res.json);
    expect(f.queue.messages).toEqual([
      {
        v: 1,
        requestId,
        userId: ALICE,
        groups: ['analysts'],
        path: CSV,
        requestedAt: '2026-01-15T09:00:00.000Z',
      },
    ]);
    expect(f.files.objects.size).toBe(0);
    expect(f.notifier.sent).toEqual([]);
  });

  // The budget (20 s by default) must never outlast the invocation: Lambda would end it first
  // and the caller would get API Gateway's 502 instead of this 202 (a 10 s API function).
  it('stops waiting before the invocation ends, whatever the budget, and answers 202', async () => {
    const f = setup({ delivery: { budgetMs: 60_000 } });
    f.srvgw.fault(CSV, { hang: true });
    const started = Date.now();
    const res = await f.call({ path: CSV }, undefined, HAND_OFF_MARGIN_MS + 200);
    expect(res.statusCode).toBe(202);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(f.queue.messages).toHaveLength(1);
    // With no time left to wait at all, it hands off at once.
    const late = setup();
    expect((await late.call({ path: CSV }, undefined, HAND_OFF_MARGIN_MS - 1)).statusCode).toBe(202);
    expect(late.srvgw.calls).toEqual([]);
  });

  it('answers 202 at once for waitMs 0, and caps waitMs at the server budget', async () => {
    const f = setup();
    const res = await f.call({ path: CSV, waitMs: 0 });
    expect(res.statusCode).toBe(202);
    expect(f.srvgw.calls).toEqual([]);
    expect(f.queue.messages).toHaveLength(1);
    const capped = setup({ delivery: { budgetMs: 30 } });
    capped.srvgw.fault(CSV, { hang: true });
    expect((await capped.call({ path: CSV, waitMs: 60_000 })).statusCode).toBe(202);
  });

  it('answers 503 with Retry-After when the queue, the grants or S3 are down', async () => {
    const f = setup();
    f.queue.failWith = new QueueError('SQS down', { retryable: true });
    const queued = await f.call({ path: CSV, waitMs: 0 });
    expect([queued.statusCode, queued.json.code, queued.headers['retry-after']]).toEqual([
      503,
      'UPSTREAM_UNAVAILABLE',
      '10',
    ]);
    f.grants.failNextWith(databaseDown());
    expect((await f.call({ path: CSV })).statusCode).toBe(503);
    f.files.failNextWith(s3Down());
    expect((await f.call({ path: CSV })).statusCode).toBe(503);
  });
});
