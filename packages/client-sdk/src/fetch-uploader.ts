import { HeraldClientError } from './errors.ts';
import type { FetchLike } from './http.ts';
import { uploadInParts } from './multipart.ts';
import {
  abortedError,
  failedUpload,
  isWebStream,
  type MultipartUploader,
  type NodeReadableLike,
  type UploadBody,
  unreachable,
} from './upload.ts';

// The streamed `fetch` uploader: the default where there is no XMLHttpRequest (Node, CLIs,
// tests). Browser builds never run it: the package's `#fetch-uploader` import resolves to
// `fetch-uploader.browser.ts` under the `browser` condition, so none of this reaches a browser
// bundle (see README, "Size").

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (typeof chunk === 'string') return new TextEncoder().encode(chunk);
  throw new HeraldClientError('INVALID_ARGUMENT', 'The upload stream produced a chunk that is not bytes.');
}

/** The body's bytes as an async sequence of chunks. */
async function* chunksOf(body: UploadBody): AsyncGenerator<Uint8Array> {
  if (typeof Blob !== 'undefined' && body instanceof Blob) {
    yield* chunksOf(body.stream());
    return;
  }
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) {
    // A Blob's stream hands the bytes out in chunks, so progress moves in steps.
    yield* chunksOf(new Blob([body as Uint8Array<ArrayBuffer>]));
    return;
  }
  if (isWebStream(body)) {
    const reader = body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield toBytes(value);
      }
    } finally {
      reader.releaseLock();
    }
  }
  for await (const chunk of body as NodeReadableLike) yield toBytes(chunk);
}

/**
 * An uploader on `fetch` with a streamed, counted request body (and, for a file at or above the
 * server's multipart threshold, `uploadInParts` of the `/multipart` entry): progress is the bytes
 * handed to the HTTP stack. Sends `content-length` so S3 accepts it. For runtimes whose `fetch`
 * takes an async iterable as the body (Node's undici); a browser's `fetch` would send the text
 * `[object AsyncGenerator]` instead, so in browser builds this is a stand-in that refuses, and
 * the default there is {@link createXhrUploader}.
 *
 * @example
 * createHeraldClient({ apiUrl, wsUrl, getToken, WebSocket, uploader: createFetchUploader(fetch) });
 */
export function createFetchUploader(
  fetchImpl: FetchLike = (input, init) => fetch(input, init),
): MultipartUploader {
  return async (request) => {
    // Outside browsers size does not matter: a multipart answer is sent in parts here.
    if (request.method === 'MULTIPART') return uploadInParts(request, { fetch: fetchImpl });
    let sent = 0;
    const counted = (async function* () {
      for await (const chunk of chunksOf(request.body)) {
        if (request.signal.aborted) throw abortedError(request.signal.reason);
        sent += chunk.byteLength;
        request.onProgress(sent);
        yield chunk;
      }
    })();
    let response: Response;
    try {
      response = await fetchImpl(request.url, {
        method: request.method,
        headers: { ...request.headers, 'content-length': String(request.sizeBytes) },
        body: counted as unknown as BodyInit,
        signal: request.signal,
        // Required by fetch for a streamed request body.
        duplex: 'half',
      } as RequestInit);
    } catch (err) {
      if (request.signal.aborted) throw abortedError(err);
      if (err instanceof HeraldClientError) throw err;
      throw unreachable(err);
    }
    if (!response.ok) throw await failedUpload(response.status, response.text());
    await response.body?.cancel();
  };
}
