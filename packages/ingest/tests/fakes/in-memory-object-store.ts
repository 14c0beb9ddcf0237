import { ObjectStoreError } from '../../src/errors.ts';
import type { ObjectStore, PresignRequest } from '../../src/ports.ts';

/**
 * In-memory {@link ObjectStore}. `read` yields the object in `chunkSize` pieces, like a socket.
 * Presigned URLs are fake (`https://objects.test/…`) and recorded in `presigned`.
 */
export class InMemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Uint8Array; contentType: string }>();
  readonly presigned: PresignRequest[] = [];
  /** Keys whose body was read (to assert an object was refused without reading it). */
  readonly reads: string[] = [];
  chunkSize = 64;
  #nextFailure: Error | undefined;

  constructor(readonly bucket = 'uploads-test') {}

  /** Stores an object as an upload would. */
  upload(key: string, body: string | Uint8Array, contentType = 'text/csv'): void {
    this.objects.set(key, {
      body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
      contentType,
    });
  }

  text(key: string): string | undefined {
    const object = this.objects.get(key);
    return object === undefined ? undefined : new TextDecoder().decode(object.body);
  }

  failNextWith(error: Error): void {
    this.#nextFailure = error;
  }

  async size(key: string): Promise<number | undefined> {
    this.#throwIfFailing();
    return this.objects.get(key)?.body.byteLength;
  }

  async read(key: string): Promise<AsyncIterable<Uint8Array>> {
    this.#throwIfFailing();
    const object = this.objects.get(key);
    if (object === undefined) throw new ObjectStoreError('no such object', { key, retryable: false });
    this.reads.push(key);
    const { body } = object;
    const chunkSize = this.chunkSize;
    return (async function* () {
      for (let offset = 0; offset < body.byteLength; offset += chunkSize)
        yield body.slice(offset, offset + chunkSize);
    })();
  }

  async put(key: string, body: string, contentType: string): Promise<void> {
    this.#throwIfFailing();
    this.upload(key, body, contentType);
  }

  async delete(key: string): Promise<void> {
    this.#throwIfFailing();
    this.objects.delete(key);
  }

  async presign(request: PresignRequest): Promise<string> {
    this.#throwIfFailing();
    this.presigned.push(request);
    return `https://objects.test/${this.bucket}/${request.key}?method=${request.method}&expires=${request.expiresInSeconds}`;
  }

  #throwIfFailing(): void {
    const failure = this.#nextFailure;
    this.#nextFailure = undefined;
    if (failure !== undefined) throw failure;
  }
}
