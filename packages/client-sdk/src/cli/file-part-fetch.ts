import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { HeraldClientError } from '../errors.ts';
import type { FetchLike } from '../http.ts';
import { FileBlob, FileReadError } from './file-blob.ts';

// How the CLI sends a part of a file: straight from disk through `node:http(s)`, two 64 KiB
// buffers per part in flight, each refilled once the socket took its bytes. Measured with 4 parts
// of 8 MiB in flight over 1 GiB: through Node's `fetch` (undici) with a Blob slice's stream, 60–90
// MB of ArrayBuffers at once (still 62 MB with a garbage collection every 50 ms), the bulk of the
// CLI's peak RSS; this way, 1–8 MB. With the launcher off tsx too, `pnpm bench upload-memory
// --gib 1` went from 155 MB to 92 MB for the CLI.

/** An error answer's body is kept up to this size (S3 answers a short XML document). */
const MAX_ANSWER_BYTES = 64 * 1024;

/** Statuses whose `Response` must have no body. */
const NULL_BODY = new Set([204, 205, 304]);

/**
 * A `fetch` for `multipartUploader({ fetch })` that sends a {@link FileBlob} body (a part of a
 * file on disk) with `node:http`/`node:https`, reading it as it goes into two reused buffers;
 * any other request goes to `fallback`. Fails as `fetch` does: a `TypeError` when the request
 * never got an answer, the signal's reason when aborted.
 *
 * @example
 * const uploader = multipartUploader({ fetch: filePartFetch() });
 * client.upload(await openFileBlob('big.csv'), { dataset: 'transactions' });
 */
export function filePartFetch(fallback: FetchLike = (input, init) => fetch(input, init)): FetchLike {
  return (input, init) =>
    init?.body instanceof FileBlob ? putFile(input, init, init.body) : fallback(input, init);
}

function putFile(url: string, init: RequestInit, file: FileBlob): Promise<Response> {
  const signal = init.signal ?? undefined;
  const headers = Object.fromEntries(new Headers(init.headers));
  headers['content-length'] = String(file.size);
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Response>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const req = request(target, { method: init.method ?? 'PUT', headers, signal });
    const fail = (err: unknown) =>
      reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: err }));
    req.on('error', fail);
    req.on('response', (res) => answer(res).then(resolve, fail));
    file
      .readInto(
        (chunk) =>
          new Promise<void>((written, failed) => req.write(chunk, (err) => (err ? failed(err) : written()))),
      )
      .then(
        () => req.end(),
        // A failed read (the file changed) or a broken socket: the request is cut, never sent short.
        // The file's failure is final (a retry reads the same file); the socket's is `fetch`'s.
        (err: unknown) => {
          if (err instanceof FileReadError && !signal?.aborted) {
            reject(new HeraldClientError('UPLOAD_FAILED', err.message, { retryable: false, cause: err }));
          }
          req.destroy(err instanceof Error ? err : new Error(String(err)));
        },
      );
  });
}

/** The answer as a `Response`, its (short) body read whole. */
async function answer(res: IncomingMessage): Promise<Response> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
    size += chunk.byteLength;
  }
  const status = res.statusCode ?? 502;
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), { status, headers });
}
