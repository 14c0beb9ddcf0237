import type * as NodeOnly from './node-only.ts';

// `#node-only` under the `browser` condition: a browser has no Node streams, and its WebSocket
// `error` event carries no text (so no HTTP status either). Each answer is what `node-only.ts`
// gives for such input, without its code.

/**
 * Never a Node stream in a browser.
 *
 * @example
 * isNodeReadable(file); // false
 */
export const isNodeReadable: typeof NodeOnly.isNodeReadable = (_body): _body is never => false;

/**
 * No Node file streams in a browser, so no file name from one.
 *
 * @example
 * streamFileName(blob); // undefined
 */
export const streamFileName: typeof NodeOnly.streamFileName = () => undefined;

/**
 * A browser's socket `error` event carries no text.
 *
 * @example
 * socketErrorText(event); // undefined
 */
export const socketErrorText: typeof NodeOnly.socketErrorText = () => undefined;

/**
 * Without a text there is no HTTP status to read.
 *
 * @example
 * handshakeStatusError(undefined); // undefined
 */
export const handshakeStatusError: typeof NodeOnly.handshakeStatusError = () => undefined;

/**
 * A browser's `fetch` sends a `Blob` without copying it (and cannot stream a body of known length).
 *
 * @example
 * await fetch(url, { method: 'PUT', ...partRequestBody(file.slice(0, 8 * 1024 * 1024)) });
 */
export const partRequestBody: typeof NodeOnly.partRequestBody = (bytes) => ({ body: bytes as BodyInit });
