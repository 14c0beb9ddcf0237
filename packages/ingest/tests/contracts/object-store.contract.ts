import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../src/ports.ts';

/** A store under test and a way to put an object as an upload would. */
export interface ObjectStoreHarness {
  readonly store: ObjectStore;
  upload(key: string, body: Uint8Array): Promise<void>;
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * The behaviour every {@link ObjectStore} must have. Runs against the in-memory fake (unit)
 * and `S3ObjectStore` on s3rver (integration). Presigned URLs are checked further by the
 * integration test, with real HTTP requests.
 */
export function describeObjectStoreContract(name: string, make: () => Promise<ObjectStoreHarness>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let h: ObjectStoreHarness;
    const prefix = `contract-${randomUUID()}`;
    beforeAll(async () => {
      h = await make();
    });

    it('reports the size of an object and undefined for a missing one', async () => {
      await h.upload(`${prefix}/a.csv`, new TextEncoder().encode('id\n1\n'));
      expect(await h.store.size(`${prefix}/a.csv`)).toBe(5);
      expect(await h.store.size(`${prefix}/missing.csv`)).toBeUndefined();
    });

    it('streams an object’s exact bytes, binary included', async () => {
      const bytes = new Uint8Array(300_000);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 256;
      await h.upload(`${prefix}/big.bin`, bytes);
      const read = await collect(await h.store.read(`${prefix}/big.bin`));
      expect(read.equals(Buffer.from(bytes))).toBe(true);
    });

    it('refuses to read a missing object, without retry', async () => {
      await expect(h.store.read(`${prefix}/missing.csv`)).rejects.toMatchObject({ retryable: false });
    });

    it('stores a small document with put', async () => {
      await h.store.put(`${prefix}/report.json`, '{"ok":true}', 'application/json');
      expect((await collect(await h.store.read(`${prefix}/report.json`))).toString('utf8')).toBe(
        '{"ok":true}',
      );
    });

    it('deletes an object, and a missing one without error', async () => {
      await h.upload(`${prefix}/gone.csv`, new TextEncoder().encode('id\n1\n'));
      await h.store.delete(`${prefix}/gone.csv`);
      expect(await h.store.size(`${prefix}/gone.csv`)).toBeUndefined();
      await expect(h.store.delete(`${prefix}/never.csv`)).resolves.toBeUndefined();
    });

    it('presigns PUT and GET requests as URLs', async () => {
      const put = await h.store.presign({
        method: 'PUT',
        key: `${prefix}/up.csv`,
        contentLength: 10,
        contentType: 'text/csv',
        expiresInSeconds: 60,
      });
      const get = await h.store.presign({
        method: 'GET',
        key: `${prefix}/report.json`,
        expiresInSeconds: 60,
      });
      for (const url of [put, get]) expect(new URL(url).protocol).toMatch(/^https?:$/);
    });
  });
}
