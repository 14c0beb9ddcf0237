import { SourceNotFoundError, UpstreamUnavailableError } from '../../src/errors.ts';
import type { FileSource, SourceRequest, SourceResponse } from '../../src/ports.ts';

/** A fault the next request for a path meets instead of the normal answer. */
export type FakeFault =
  /** Answer with this HTTP status (mapped as the real adapter maps it). */
  | { readonly status: number }
  /** Throw this error from `open`. */
  | { readonly error: Error }
  /** Never answer until the request's signal aborts (a hung server). */
  | { readonly hang: true }
  /** Send the headers, then break the body after this many bytes (a dropped connection). */
  | { readonly breakAfterBytes: number }
  /** Send the body without a declared size (chunked). */
  | { readonly undeclaredSize: true }
  /** Declare this size instead of the real one. */
  | { readonly declaredSize: number };

interface FakeFile {
  body: Buffer;
  contentType: string | undefined;
  etag: string;
  lastModified: string;
}

/**
 * An in-memory SRV-GW ({@link FileSource}) with the sample server's conditional-request rules
 * (a matching `If-None-Match` → 304; without it, `If-Modified-Since` decides), per-path faults
 * that are used up one per request, and counters of what it served.
 */
export class FakeSrvGw implements FileSource {
  readonly #files = new Map<string, FakeFile>();
  readonly #faults = new Map<string, FakeFault[]>();
  #version = 0;
  readonly calls: { path: string; ifNoneMatch?: string; ifModifiedSince?: string }[] = [];
  /** Full downloads started (200 answers) and 304 answers. */
  downloads = 0;
  notModified = 0;
  /** Transfers dropped through `cancel()`. */
  cancelled = 0;
  chunkSize = 16;

  /** Puts (or replaces) a file; each version gets a new ETag and a later Last-Modified. `null`: no Content-Type. */
  put(
    path: string,
    body: string | Uint8Array,
    contentType: string | null = 'text/plain; charset=utf-8',
  ): void {
    this.#version++;
    this.#files.set(path, {
      body: Buffer.from(body),
      contentType: contentType ?? undefined,
      etag: `"v${this.#version}"`,
      lastModified: new Date(Date.UTC(2026, 0, 1, 0, 0, this.#version)).toUTCString(),
    });
  }

  /** Faults for the next requests of `path`, one per request, in order. */
  fault(path: string, ...faults: FakeFault[]): void {
    this.#faults.set(path, [...(this.#faults.get(path) ?? []), ...faults]);
  }

  validatorsOf(path: string): { etag: string; lastModified: string } | undefined {
    const file = this.#files.get(path);
    return file && { etag: file.etag, lastModified: file.lastModified };
  }

  async open(path: string, request: SourceRequest): Promise<SourceResponse> {
    request.signal?.throwIfAborted();
    this.calls.push({
      path,
      ...(request.ifNoneMatch !== undefined && { ifNoneMatch: request.ifNoneMatch }),
      ...(request.ifModifiedSince !== undefined && { ifModifiedSince: request.ifModifiedSince }),
    });
    const fault = this.#faults.get(path)?.shift();
    if (fault !== undefined && 'hang' in fault) await hangUntilAborted(request.signal);
    if (fault !== undefined && 'error' in fault) throw fault.error;
    if (fault !== undefined && 'status' in fault) throw statusError(path, fault.status);
    const file = this.#files.get(path);
    if (file === undefined) throw new SourceNotFoundError(path);
    const validators = { etag: file.etag, lastModified: file.lastModified };
    const matches =
      request.ifNoneMatch !== undefined
        ? request.ifNoneMatch === file.etag
        : request.ifModifiedSince !== undefined &&
          Date.parse(request.ifModifiedSince) >= Date.parse(file.lastModified);
    if (matches) {
      this.notModified++;
      return { kind: 'not-modified', validators };
    }
    this.downloads++;
    const breakAfter = fault !== undefined && 'breakAfterBytes' in fault ? fault.breakAfterBytes : undefined;
    const size =
      fault !== undefined && 'undeclaredSize' in fault
        ? undefined
        : fault !== undefined && 'declaredSize' in fault
          ? fault.declaredSize
          : file.body.byteLength;
    let cancelled = false;
    const chunkSize = this.chunkSize;
    const signal = request.signal;
    return {
      kind: 'file',
      size,
      contentType: file.contentType,
      validators,
      body: (async function* () {
        for (let offset = 0; offset < file.body.byteLength; offset += chunkSize) {
          signal?.throwIfAborted();
          if (cancelled) throw new Error('read after cancel');
          if (breakAfter !== undefined && offset >= breakAfter) {
            throw new UpstreamUnavailableError('the SRV-GW connection broke during the transfer', {
              retryable: true,
            });
          }
          yield file.body.subarray(offset, offset + chunkSize);
        }
      })(),
      cancel: () => {
        if (!cancelled) this.cancelled++;
        cancelled = true;
      },
    };
  }
}

function statusError(path: string, status: number): Error {
  if (status === 404) return new SourceNotFoundError(path);
  return new UpstreamUnavailableError(`SRV-GW answered HTTP ${status}`, {
    retryable: status >= 500 || status === 429,
    status,
  });
}

function hangUntilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal === undefined) return; // hangs for good: the test must pass a signal
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}
