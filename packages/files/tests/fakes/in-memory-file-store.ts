import { ObjectStoreError } from '../../src/errors.ts';
import type { FileStore, FileWrite, StoredFile } from '../../src/ports.ts';

/**
 * In-memory {@link FileStore} with S3's all-or-nothing write: the body is read to the end
 * before the object becomes visible; a body that throws leaves the previous object as it was
 * (and is counted in `abortedWrites`). Presigned URLs are fake and recorded.
 */
export class InMemoryFileStore implements FileStore {
  readonly objects = new Map<string, StoredFile & { body: Buffer }>();
  readonly presigned: { key: string; expiresInSeconds: number; contentDisposition: string }[] = [];
  abortedWrites = 0;
  writes = 0;
  /** Makes the store keep this many bytes fewer than it was sent (a corrupting store). */
  truncateStoredBy = 0;
  #now: () => number;
  #nextFailure: Error | undefined;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Makes the next call of any method reject. */
  failNextWith(error: Error): void {
    this.#nextFailure = error;
  }

  /** Puts a cached copy as an earlier fetch would have. */
  seed(key: string, body: string | Uint8Array, file: Omit<StoredFile, 'key' | 'size'>): void {
    const bytes = Buffer.from(body);
    this.objects.set(key, { ...file, key, size: bytes.byteLength, body: bytes });
  }

  async head(key: string): Promise<StoredFile | undefined> {
    this.#throwIfFailing();
    const object = this.objects.get(key);
    if (object === undefined) return undefined;
    const { body: _body, ...file } = object;
    return file;
  }

  async write(key: string, body: AsyncIterable<Uint8Array>, file: FileWrite): Promise<void> {
    this.#throwIfFailing();
    this.writes++;
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of body) chunks.push(Buffer.from(chunk));
    } catch (error) {
      this.abortedWrites++;
      throw error;
    }
    const all = Buffer.concat(chunks);
    const bytes = all.subarray(0, Math.max(0, all.byteLength - this.truncateStoredBy));
    this.objects.set(key, {
      key,
      size: bytes.byteLength,
      contentType: file.contentType,
      storedAt: new Date(this.#now()),
      source: file.source,
      body: bytes,
    });
  }

  async remove(key: string): Promise<void> {
    this.#throwIfFailing();
    this.objects.delete(key);
  }

  async presignDownload(
    key: string,
    options: { readonly expiresInSeconds: number; readonly contentDisposition: string },
  ): Promise<string> {
    this.#throwIfFailing();
    this.presigned.push({ key, ...options });
    return `https://files.test/${encodeURI(key)}?expires=${options.expiresInSeconds}&signature=secret-sig`;
  }

  #throwIfFailing(): void {
    const failure = this.#nextFailure;
    this.#nextFailure = undefined;
    if (failure !== undefined) throw failure;
  }
}

/** A retryable S3 fault, as the adapter reports one. */
export const s3Down = (key = 'files/x') => new ObjectStoreError('S3 unreachable', { key, retryable: true });
