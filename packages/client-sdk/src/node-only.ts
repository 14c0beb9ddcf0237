import { HeraldClientError } from './errors.ts';
import type { NodeReadableLike } from './upload.ts';

// What only Node presents to the SDK: Node streams as upload bodies, and the `ws` package's
// account of a failed handshake. The package's `#node-only` import resolves here everywhere but
// under the `browser` condition, where `node-only.browser.ts` answers "none of that" instead and
// this code stays out of browser bundles (see README, "Size").

/**
 * Whether a body is a Node `Readable` (e.g. `fs.createReadStream`).
 *
 * @example
 * isNodeReadable(fs.createReadStream('rows.csv')); // true
 */
export function isNodeReadable(body: unknown): body is NodeReadableLike {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { pipe?: unknown }).pipe === 'function' &&
    Symbol.asyncIterator in body
  );
}

/**
 * The file name of a Node file stream, from the `path` `fs.createReadStream` sets.
 *
 * @example
 * streamFileName(fs.createReadStream('/data/march.csv')); // 'march.csv'
 */
export function streamFileName(body: unknown): string | undefined {
  const { path } = body as { path?: unknown };
  if (typeof path === 'string' && path !== '') return path.split(/[\\/]/).pop() || undefined;
  return undefined;
}

/**
 * The text of a socket `error` event: `ws` puts its reason there (e.g. "Unexpected server
 * response: 401"); a browser's event has none.
 *
 * @example
 * socket.addEventListener('error', (event) => (lastError ??= socketErrorText(event)));
 */
export function socketErrorText(event: unknown): string | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const { message, error } = event as { message?: unknown; error?: unknown };
  if (typeof message === 'string') return message;
  return error instanceof Error ? error.message : undefined;
}

/**
 * The error of a handshake `ws` saw refused with an HTTP status ("Unexpected server response:
 * 401"): `UNAUTHENTICATED`/`FORBIDDEN` for 401/403, else `NETWORK_ERROR` naming the status;
 * `undefined` when the text names no status.
 *
 * @example
 * handshakeStatusError('Unexpected server response: 403')?.code; // 'FORBIDDEN'
 */
export function handshakeStatusError(text: string | undefined): HeraldClientError | undefined {
  const match = /Unexpected server response: (\d{3})/.exec(text ?? '');
  if (!match) return undefined;
  const status = Number(match[1]);
  if (status === 401 || status === 403) {
    return new HeraldClientError(
      status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN',
      `The server refused the WebSocket handshake (HTTP ${status}).`,
      { status },
    );
  }
  return new HeraldClientError('NETWORK_ERROR', `The WebSocket handshake failed (HTTP ${status}).`, {
    status,
    details: { message: text },
  });
}

/**
 * The request fields that send one part through Node's built-in `fetch` (undici). undici sends a
 * `Blob` body by reading it WHOLE into a new buffer first (`writeBlob`: `await body.arrayBuffer()`),
 * so 4 parts in flight of 8 MiB cost 32 MiB plus the garbage of every part sent; measured with
 * `pnpm bench upload-memory`. A slice's stream is sent as it is read instead, with its length
 * declared, since S3 refuses a part PUT without `content-length`. Bytes already in memory are sent
 * as they are.
 *
 * @example
 * await fetch(url, { method: 'PUT', ...partRequestBody(file.slice(0, 8 * 1024 * 1024)) });
 */
export function partRequestBody(bytes: Blob | Uint8Array): RequestInit {
  if (!(bytes instanceof Blob)) return { body: bytes as BodyInit };
  return {
    body: bytes.stream(),
    headers: { 'content-length': String(bytes.size) },
    duplex: 'half',
  } as RequestInit;
}
