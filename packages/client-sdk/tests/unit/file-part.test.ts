import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FILE_CHUNK_BYTES, FileBlob, openFileBlob } from '../../src/cli/file-blob.ts';
import { filePartFetch } from '../../src/cli/file-part-fetch.ts';
import { HeraldClientError } from '../../src/errors.ts';

// The CLI's file parts: a Blob over a byte range of a file on disk, and the `fetch` that sends
// one from disk through node:http with two reused buffers.

const dir = mkdtempSync(join(tmpdir(), 'herald-file-part-'));
const path = join(dir, 'rows.csv');
const bytes = randomBytes(3 * FILE_CHUNK_BYTES + 1234);
writeFileSync(path, bytes);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A local server answering each request with `handler`; resolves to its URL. */
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/part`;
}

describe('FileBlob', () => {
  it('holds the bytes Blob.slice gives for the same range, negative offsets included', async () => {
    const file = await openFileBlob(path);
    const blob = new Blob([bytes]);
    expect(file.size).toBe(bytes.byteLength);
    for (const [start, end] of [
      [0, 10],
      [FILE_CHUNK_BYTES - 5, 2 * FILE_CHUNK_BYTES + 7],
      [-100, undefined],
      [-100, -50],
      [50, 10],
      [0, 10 * bytes.byteLength],
    ] as const) {
      const part = file.slice(start, end);
      const expected = new Uint8Array(await blob.slice(start, end).arrayBuffer());
      expect(part.size).toBe(expected.byteLength);
      expect(new Uint8Array(await part.arrayBuffer())).toEqual(expected);
      expect(new Uint8Array(await part.slice(1, -1).arrayBuffer())).toEqual(expected.subarray(1, -1));
    }
  });

  it('streams a range in chunks of at most 64 KiB, reading the file only when asked', async () => {
    const missing = new FileBlob(join(dir, 'not-there.csv'), 0, 10);
    expect(missing.slice(2).size).toBe(8);
    const part = (await openFileBlob(path)).slice(100, 100 + 2 * FILE_CHUNK_BYTES + 1);
    const sizes: number[] = [];
    const chunks: Uint8Array[] = [];
    for await (const chunk of part.stream() as unknown as AsyncIterable<Uint8Array>) {
      sizes.push(chunk.byteLength);
      chunks.push(chunk);
    }
    expect(sizes).toEqual([FILE_CHUNK_BYTES, FILE_CHUNK_BYTES, 1]);
    expect(Buffer.concat(chunks)).toEqual(bytes.subarray(100, 100 + 2 * FILE_CHUNK_BYTES + 1));
    await expect(missing.arrayBuffer()).rejects.toThrow(/ENOENT/);
  });

  it('refills a buffer only after its previous write resolved: two chunks in flight at most', async () => {
    const file = await openFileBlob(path);
    let pending = 0;
    let most = 0;
    const seen: Buffer[] = [];
    await file.readInto(async (chunk) => {
      pending++;
      most = Math.max(most, pending);
      await new Promise((resolve) => setTimeout(resolve, 5));
      // Copied only here, when the write completes: a buffer refilled early would differ.
      seen.push(Buffer.from(chunk));
      pending--;
    });
    expect(most).toBe(2);
    expect(Buffer.concat(seen)).toEqual(bytes);
  });

  it('fails a read when the file is shorter than its range', async () => {
    const part = new FileBlob(path, bytes.byteLength - 10, bytes.byteLength + 10);
    await expect(part.readInto(async () => {})).rejects.toThrow(/changed while it was being read/);
    await expect(part.arrayBuffer()).rejects.toThrow(/changed while it was being read/);
    const read = (async () => {
      for await (const _ of part.stream() as unknown as AsyncIterable<Uint8Array>);
    })();
    await expect(read).rejects.toThrow(/changed while it was being read/);
  });
});

describe('filePartFetch', () => {
  it('sends a part from disk with its content-length and answers with the storage’s ETag', async () => {
    let received: { length?: string; body: Buffer; method?: string } | undefined;
    const url = await serve(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      received = { length: req.headers['content-length'], body: Buffer.concat(chunks), method: req.method };
      res.writeHead(200, { etag: '"abc"' }).end();
    });
    const part = (await openFileBlob(path)).slice(7, 7 + 2 * FILE_CHUNK_BYTES + 3);
    const res = await filePartFetch()(url, { method: 'PUT', body: part });
    expect(res.ok).toBe(true);
    expect(res.headers.get('etag')).toBe('"abc"');
    expect(received).toEqual({
      length: String(part.size),
      body: bytes.subarray(7, 7 + 2 * FILE_CHUNK_BYTES + 3),
      method: 'PUT',
    });
  });

  it('answers a refusal with its status and S3’s XML', async () => {
    const url = await serve((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(403).end('<Error><Code>AccessDenied</Code></Error>'));
    });
    const res = await filePartFetch()(url, { method: 'PUT', body: await openFileBlob(path) });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('fails as fetch does when no answer comes (TypeError) and with the reason when aborted', async () => {
    const url = await serve((req) => req.socket.destroy());
    const file = await openFileBlob(path);
    await expect(filePartFetch()(url, { method: 'PUT', body: file })).rejects.toThrow(TypeError);
    const controller = new AbortController();
    const reason = new Error('stop');
    const slow = await serve(() => controller.abort(reason));
    await expect(
      filePartFetch()(slow, { method: 'PUT', body: file, signal: controller.signal }),
    ).rejects.toBe(reason);
  });

  it('fails for good (UPLOAD_FAILED, not retryable) when the file changed or went away mid-part', async () => {
    const url = await serve((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { etag: '"abc"' }).end());
    });
    const shrunk = new FileBlob(path, bytes.byteLength - 10, bytes.byteLength + 10);
    const gone = new FileBlob(join(dir, 'deleted.csv'), 0, 10);
    for (const [part, message] of [
      [shrunk, /rows\.csv ended at byte \d+: it changed while it was being read/],
      [gone, /deleted\.csv could not be read/],
    ] as const) {
      const failure = await filePartFetch()(url, { method: 'PUT', body: part }).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(HeraldClientError);
      expect(failure).toMatchObject({
        code: 'UPLOAD_FAILED',
        retryable: false,
        message: expect.stringMatching(message),
      });
    }
  });

  it('hands any other body to the fallback fetch', async () => {
    const calls: unknown[] = [];
    const sent = filePartFetch(async (input, init) => {
      calls.push([input, init?.body]);
      return new Response(null, { status: 204 });
    });
    const blob = new Blob(['x']);
    expect((await sent('http://example.invalid/part', { method: 'PUT', body: blob })).status).toBe(204);
    expect(calls).toEqual([['http://example.invalid/part', blob]]);
  });
});
