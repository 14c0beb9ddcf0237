import { randomBytes, randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { delay, noMetrics } from '@herald/runtime';
import { migrate } from '@herald/runtime/migrations';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../../../runtime/tests/support/fake-clock.ts';
import { RecordingLogger } from '../../../runtime/tests/support/recording-logger.ts';
import { PgGrantRepository } from '../../src/adapters/pg-grant-repository.ts';
import { S3FileStore } from '../../src/adapters/s3-file-store.ts';
import { SrvGwFileSource } from '../../src/adapters/srvgw-file-source.ts';
import { DEFAULT_SRVGW_RETRY } from '../../src/core/file-backoff.ts';
import { DEFAULT_ALLOWED_CONTENT_TYPES } from '../../src/core/file-content-type.ts';
import { fetchIntoCache } from '../../src/core/file-fetch.ts';
import { SourceNotFoundError, UpstreamTimeoutError, UpstreamUnavailableError } from '../../src/errors.ts';
import { MIGRATIONS } from '../../src/migrations.ts';
import type { SourceResponse } from '../../src/ports.ts';
import { describeFileStoreContract } from '../contracts/file-store.contract.ts';
import { describeGrantStoreContract } from '../contracts/grant-store.contract.ts';
import { fileStack, sleep, srvgw } from './support.ts';

// The file delivery adapters in-process against the run's REAL local servers: S3FileStore on
// s3rver, PgGrantRepository on PostgreSQL (own schema), SrvGwFileSource on the sample SRV-GW
// (faults set through its control endpoint), with timeouts short enough to test.

const stack = fileStack();
const s3 = new S3Client({
  region: 'us-east-1',
  endpoint: stack.s3.endpoint,
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  requestChecksumCalculation: 'WHEN_REQUIRED',
  responseChecksumValidation: 'WHEN_REQUIRED',
});
const bucket = stack.s3.buckets.files;
const files = new S3FileStore({ client: s3, bucket });
const schema = `files_t_${randomBytes(4).toString('hex')}`;
const pool = new pg.Pool({
  connectionString: stack.postgres.connectionString,
  options: `-c search_path=${schema}`,
  max: 2,
});
const admin = new pg.Client({ connectionString: stack.postgres.connectionString });
const agent = new Agent({ keepAlive: true });
const source = (options: { credential?: string; idleTimeoutMs?: number; baseUrl?: string } = {}) =>
  new SrvGwFileSource({
    baseUrl: options.baseUrl ?? stack.srvgw.url,
    credential: async () => options.credential ?? stack.srvgw.credential,
    connectTimeoutMs: 2000,
    idleTimeoutMs: options.idleTimeoutMs ?? 2000,
    agent,
  });
const dir = `it-adapters-${randomUUID().slice(0, 8)}`;
const written: string[] = [];

async function collect(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function scratch(name: string, body: string | Uint8Array): Promise<string> {
  const path = `${dir}/${name}`;
  await srvgw.write(path, body);
  written.push(path);
  return path;
}

beforeAll(async () => {
  await admin.connect();
  await migrate(admin, { schema, sources: [MIGRATIONS] });
});
afterAll(async () => {
  for (const path of written) await srvgw.remove(path);
  await pool.end();
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
  agent.destroy();
  s3.destroy();
});

describeFileStoreContract('S3FileStore on s3rver', async () => ({
  store: files,
  read: async (key) => {
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    } catch {
      return undefined;
    }
  },
}));

describeGrantStoreContract('PgGrantRepository on PostgreSQL', async () => new PgGrantRepository({ pool }));

describe('S3FileStore presigned downloads on s3rver', () => {
  it('serves the bytes with the signed Content-Disposition, and S3 refuses the link once it expired', async () => {
    const key = `files/${dir}/Bericht März.csv`;
    await files.write(
      key,
      (async function* () {
        yield new TextEncoder().encode('a,b\n');
      })(),
      { contentType: 'text/csv', source: {} },
    );
    const disposition = `attachment; filename="Bericht M_rz.csv"; filename*=UTF-8''Bericht%20M%C3%A4rz.csv`;
    const url = await files.presignDownload(key, { expiresInSeconds: 1, contentDisposition: disposition });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(disposition);
    expect(await res.text()).toBe('a,b\n');
    await sleep(2100);
    const expired = await fetch(url);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toMatch(/expired/i);
  });
});

describe('SrvGwFileSource on the sample SRV-GW', () => {
  it('streams a file with its validators, and answers a matching conditional request with 304', async () => {
    const path = await scratch('hello.csv', 'x,y\n1,2\n');
    const first = await source().open(path, {});
    expect(first).toMatchObject({ kind: 'file', size: 8, contentType: 'text/csv; charset=utf-8' });
    const file = first as Extract<SourceResponse, { kind: 'file' }>;
    expect((await collect(file.body)).toString()).toBe('x,y\n1,2\n');
    expect(file.validators.etag).toMatch(/^"/);
    const again = await source().open(path, { ifNoneMatch: file.validators.etag });
    expect(again).toEqual({ kind: 'not-modified', validators: file.validators });
    expect(await srvgw.stats(path)).toEqual({ hits: 2, downloads: 1, notModified: 1 });
  });

  it('encodes every segment: names with spaces, # and ? reach SRV-GW as names', async () => {
    const path = await scratch('a b#c?.txt', 'odd');
    const opened = (await source().open(path, {})) as Extract<SourceResponse, { kind: 'file' }>;
    expect((await collect(opened.body)).toString()).toBe('odd');
  });

  it('maps 404, 5xx, a refused credential and an unreachable server', async () => {
    await expect(source().open(`${dir}/missing.csv`, {})).rejects.toBeInstanceOf(SourceNotFoundError);
    const broken = await scratch('broken.csv', 'x');
    await srvgw.fault(broken, { status: 502 });
    await expect(source().open(broken, {})).rejects.toMatchObject({
      name: 'UpstreamUnavailableError',
      status: 502,
      retryable: true,
    });
    await srvgw.clearFault(broken);
    await expect(source({ credential: 'wrong' }).open(broken, {})).rejects.toMatchObject({
      status: 401,
      retryable: false,
    });
    const closed = new SrvGwFileSource({
      baseUrl: 'http://127.0.0.1:9',
      credential: async () => 'x',
      connectTimeoutMs: 1000,
      idleTimeoutMs: 1000,
    });
    const error = await closed.open('a.csv', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect((error as UpstreamUnavailableError).retryable).toBe(true);
  });

  it('times out a hung server after the idle timeout', async () => {
    const path = await scratch('hang.csv', 'x');
    await srvgw.fault(path, { hangMs: 10_000 });
    const started = Date.now();
    const error = await source({ idleTimeoutMs: 300 })
      .open(path, {})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect((error as UpstreamTimeoutError).phase).toBe('idle');
    expect(Date.now() - started).toBeLessThan(2000);
    await srvgw.clearFault(path);
  });

  it('reports a body cut short as a retryable fault, and aborts on the caller’s signal', async () => {
    const path = await scratch('drop.csv', 'y'.repeat(100_000));
    await srvgw.fault(path, { dropAfterBytes: 1000 });
    const opened = (await source().open(path, {})) as Extract<SourceResponse, { kind: 'file' }>;
    await expect(collect(opened.body)).rejects.toMatchObject({
      name: 'UpstreamUnavailableError',
      retryable: true,
    });
    await srvgw.fault(path, { hangMs: 10_000 });
    const budget = new AbortController();
    setTimeout(() => budget.abort(new Error('budget spent')), 100);
    await expect(source({ idleTimeoutMs: 5000 }).open(path, { signal: budget.signal })).rejects.toThrow(
      'budget spent',
    );
    await srvgw.clearFault(path);
  });
});

describe('fetchIntoCache on the real adapters', () => {
  // Retries wait (almost exactly) 400 ms, so a test can lift a fault between two attempts.
  const deps = (maxBytes = 1_000_000) => ({
    files,
    source: source({ idleTimeoutMs: 500 }),
    clock: new FakeClock(Date.now()),
    delivery: {
      maxBytes,
      allowedContentTypes: DEFAULT_ALLOWED_CONTENT_TYPES,
      linkTtlSeconds: 300,
      budgetMs: 20_000,
      cacheMaxAgeMs: 0,
      retry: { ...DEFAULT_SRVGW_RETRY, baseDelayMs: 400 },
    },
    random: () => 0.999,
    sleep: delay,
    metrics: noMetrics,
  });
  const log = new RecordingLogger().logger;

  it('downloads, revalidates with a 304, and downloads again after the source changed', async () => {
    const path = await scratch('cache.csv', 'v1\n');
    expect((await fetchIntoCache(deps(), path, { log })).outcome).toBe('downloaded');
    expect((await fetchIntoCache(deps(), path, { log })).outcome).toBe('revalidated');
    await srvgw.write(path, 'version 2\n');
    const third = await fetchIntoCache(deps(), path, { log });
    expect([third.outcome, third.file.size]).toEqual(['downloaded', 10]);
    expect(await srvgw.stats(path)).toEqual({ hits: 3, downloads: 2, notModified: 1 });
  });

  it('retries a connection dropped mid-body and stores the whole file', async () => {
    const body = randomBytes(300_000);
    const path = await scratch('retry.pdf', body);
    await srvgw.fault(path, { dropAfterBytes: 50_000 });
    const attempt = fetchIntoCache(deps(), path, { log });
    // The fault stays until cleared: lift it after the first attempt broke, before the retry.
    await sleep(200);
    await srvgw.clearFault(path);
    const { file } = await attempt;
    expect(file.size).toBe(body.byteLength);
    expect((await srvgw.stats(path)).downloads).toBe(2);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: file.key }));
    expect(Buffer.from((await got.Body?.transformToByteArray()) ?? []).equals(body)).toBe(true);
  });

  it('refuses an over-size file from its declared length and stores nothing', async () => {
    const path = `${dir}/huge.csv`;
    await srvgw.writeSparse(path, 50_000_000);
    written.push(path);
    await expect(fetchIntoCache(deps(1_000_000), path, { log })).rejects.toMatchObject({
      name: 'FileTooLargeError',
    });
    expect(await files.head(`files/${path}`)).toBeUndefined();
    expect((await srvgw.stats(path)).downloads).toBe(1);
  });
});
