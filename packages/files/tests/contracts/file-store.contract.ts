import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FileStore } from '../../src/ports.ts';

/** A store under test and a way to read an object's bytes back. */
export interface FileStoreHarness {
  readonly store: FileStore;
  read(key: string): Promise<Buffer | undefined>;
}

class BodyBroke extends Error {
  readonly retryable = true;
}

async function* chunks(bytes: Uint8Array, size: number, breakAt?: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) {
    if (breakAt !== undefined && offset >= breakAt) throw new BodyBroke('the source broke');
    yield bytes.subarray(offset, offset + size);
  }
}

function pattern(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

/**
 * The behaviour every {@link FileStore} must have: head/write/remove round trips with
 * validators, all-or-nothing writes for small and multipart bodies. Runs against the
 * in-memory fake (unit) and `S3FileStore` on s3rver (integration).
 */
export function describeFileStoreContract(name: string, make: () => Promise<FileStoreHarness>): void {
  describe(`FileStore contract: ${name}`, () => {
    let h: FileStoreHarness;
    const prefix = `files/contract-${randomUUID()}`;
    beforeAll(async () => {
      h = await make();
    });

    it('has no copy of an unknown key', async () => {
      expect(await h.store.head(`${prefix}/missing.txt`)).toBeUndefined();
    });

    it('stores a body with its type and source validators', async () => {
      const key = `${prefix}/small.csv`;
      const bytes = new TextEncoder().encode('a,b\n1,2\n');
      const source = { etag: '"5-abc"', lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT' };
      await h.store.write(key, chunks(bytes, 3), { contentType: 'text/csv; charset=utf-8', size: 8, source });
      expect(await h.store.head(key)).toEqual({
        key,
        size: 8,
        contentType: 'text/csv; charset=utf-8',
        storedAt: expect.any(Date),
        source,
      });
      expect((await h.read(key))?.toString()).toBe('a,b\n1,2\n');
    });

    it('streams a multipart-sized body intact, without a declared size', async () => {
      const key = `${prefix}/big.bin`;
      const bytes = pattern(11 * 1024 * 1024 + 7, 1);
      await h.store.write(key, chunks(bytes, 64 * 1024), { contentType: 'application/pdf', source: {} });
      expect((await h.store.head(key))?.size).toBe(bytes.byteLength);
      expect((await h.read(key))?.equals(Buffer.from(bytes))).toBe(true);
    });

    it('leaves the previous version untouched when a body breaks, small or multipart', async () => {
      const key = `${prefix}/replaced.bin`;
      const first = pattern(1000, 2);
      await h.store.write(key, chunks(first, 100), {
        contentType: 'application/pdf',
        source: { etag: '"1"' },
      });
      for (const [size, chunk, breakAt] of [
        [2000, 100, 1500],
        [12 * 1024 * 1024, 256 * 1024, 11 * 1024 * 1024],
      ] as const) {
        await expect(
          h.store.write(key, chunks(pattern(size, 3), chunk, breakAt), {
            contentType: 'application/pdf',
            source: { etag: '"2"' },
          }),
        ).rejects.toBeInstanceOf(BodyBroke);
        expect((await h.store.head(key))?.source).toEqual({ etag: '"1"' });
        expect((await h.read(key))?.equals(Buffer.from(first))).toBe(true);
      }
    });

    it('writes nothing when a new key’s body breaks', async () => {
      const key = `${prefix}/never.bin`;
      await expect(
        h.store.write(key, chunks(pattern(7 * 1024 * 1024, 4), 512 * 1024, 6 * 1024 * 1024), {
          contentType: 'application/pdf',
          source: {},
        }),
      ).rejects.toBeInstanceOf(BodyBroke);
      expect(await h.store.head(key)).toBeUndefined();
    });

    it('removes a copy, and removing a missing one is fine', async () => {
      const key = `${prefix}/gone.txt`;
      await h.store.write(key, chunks(new Uint8Array([1, 2, 3]), 1), {
        contentType: 'text/plain',
        source: {},
      });
      await h.store.remove(key);
      expect(await h.store.head(key)).toBeUndefined();
      await expect(h.store.remove(key)).resolves.toBeUndefined();
    });

    it('presigns a download', async () => {
      const url = await h.store.presignDownload(`${prefix}/small.csv`, {
        expiresInSeconds: 60,
        contentDisposition: 'attachment; filename="small.csv"',
      });
      expect(new URL(url).protocol).toMatch(/^https?:$/);
    });
  });
}
