import { createHash, timingSafeEqual } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, realpath } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';

/**
 * A sample of the company's external file server (SRV-GW): read-only files under `/files/<path>`
 * behind a bearer credential, with the validators (`ETag`, `Last-Modified`) file delivery uses to
 * decide whether the copy in S3 is still fresh.
 *
 * Tests reach further through {@link SrvGwHooks}: the test control plane
 * (`testing/srvgw-controls.ts`: request counters, injected faults, scratch files) plugs in there,
 * and only when the local stack is started with `testControls`; `npm run dev` serves files only.
 *
 * ETag: strong, `"<size hex>-<mtime in ns, hex>"` (mtime as precise as `Stats.mtimeMs` carries,
 * sub-microsecond). A content hash would mean reading the whole file before the first byte goes
 * out; size + fine-grained mtime changes whenever the file is rewritten, which is what a cache
 * needs here. Ranges are not supported (`Accept-Ranges: none`).
 */

export interface SampleSrvGwOptions {
  /** Folder whose files are served. */
  readonly root: string;
  /** The bearer credential clients must present. */
  readonly credential: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** One line per refused or failed request (never the credential). */
  readonly log?: (line: string) => void;
  /** Where test tooling plugs in; none by default. */
  readonly hooks?: SrvGwHooks;
  /**
   * Also serve HTTPS (on a port of its own) with this certificate: what a deployed SRV-GW
   * offers and Herald's functions use. @default HTTP only
   */
  readonly tls?: { readonly cert: string; readonly key: string };
}

/**
 * The seam for test tooling. The server itself counts nothing and injects nothing; a hook may
 * answer a request itself, or throw a {@link SrvGwRequestError} to have it answered
 * `{ "error": code }` with that status.
 *
 * @example
 * // Every download of reports/ is cut after 1000 bytes.
 * const hooks: SrvGwHooks = {
 *   file: async (path) => (path.startsWith('reports/') ? { dropAfterBytes: 1000 } : 'serve'),
 * };
 * await startSampleSrvGw({ root, credential, hooks });
 */
export interface SrvGwHooks {
  /**
   * Sees every request first, before the credential is checked (`authorized` says whether it
   * was present); resolves true when it answered the request, false to let the server go on.
   */
  readonly request?: (req: IncomingMessage, res: ServerResponse, authorized: boolean) => Promise<boolean>;
  /**
   * An authorized GET or HEAD of a valid path (decoded, relative to the root), before the file
   * is opened; resolves how to go on (see {@link SrvGwFileStep}).
   */
  readonly file?: (path: string, res: ServerResponse) => Promise<SrvGwFileStep>;
  /** A file request answered from disk: with 304, or with 200 and the body (GET). */
  readonly served?: (path: string, answer: 'notModified' | 'download') => void;
  /** A folder whose files shadow the root's files of the same path. */
  readonly overlay?: string;
}

export type SrvGwFileStep =
  /** Serve the file. */
  | 'serve'
  /** Serve it, but end the connection after this many body bytes (a download cut short). */
  | { readonly dropAfterBytes: number }
  /** Nothing more to do: the hook answered the request, or the client went away. */
  | 'done';

export interface SampleSrvGw {
  /** Base URL, e.g. `http://127.0.0.1:41234`; files are at `${url}/files/<path>`. */
  readonly url: string;
  /** The same server over HTTPS (`https://127.0.0.1:<port>`), when started with `tls`. */
  readonly httpsUrl: string | undefined;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.json': 'application/json',
  '.html': 'text/html; charset=utf-8',
  '.xml': 'application/xml',
  '.pdf': 'application/pdf',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.zip': 'application/zip',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** A refusal: the server answers `{ "error": code }` with `status`. */
export class SrvGwRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
    this.name = 'SrvGwRequestError';
  }
}

/**
 * Starts the sample SRV-GW over `root`.
 *
 * @example
 * const srvgw = await startSampleSrvGw({ root: SAMPLES_DIR, credential: 'dev-secret' });
 * await fetch(`${srvgw.url}/files/public/readme.txt`, { headers: { authorization: 'Bearer dev-secret' } });
 * await srvgw.close();
 */
export async function startSampleSrvGw(options: SampleSrvGwOptions): Promise<SampleSrvGw> {
  if (options.credential.length === 0) throw new RangeError('the SRV-GW credential must not be empty');
  const root = await realpath(options.root);
  const log = options.log ?? (() => {});
  const hooks = options.hooks ?? {};
  const overlay = hooks.overlay === undefined ? undefined : await realpath(hooks.overlay);
  // Hashing both sides gives equal-length inputs, so timingSafeEqual leaks neither content nor length.
  const expected = sha256(`Bearer ${options.credential}`);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const authorized = timingSafeEqual(sha256(req.headers.authorization ?? ''), expected);
    if (hooks.request && (await hooks.request(req, res, authorized))) return;
    if (!authorized) {
      sendJson(res, 401, 'unauthorized', { 'www-authenticate': 'Bearer realm="srv-gw"' });
      return;
    }
    const rawPath = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, 'method_not_allowed', { allow: 'GET, HEAD' });
      return;
    }
    if (!rawPath.startsWith('/files/')) {
      sendJson(res, 404, 'not_found');
      return;
    }
    const relative = parseFilePath(rawPath.slice('/files/'.length));
    const step = hooks.file ? await hooks.file(relative, res) : 'serve';
    if (step === 'done') return;

    const file = await openServed(relative);
    try {
      const stats = await file.stat();
      if (!stats.isFile()) throw new SrvGwRequestError(404, 'not_found');
      const headers = validators(stats);
      if (notModified(req, headers.etag, stats)) {
        hooks.served?.(relative, 'notModified');
        res.writeHead(304, headers).end();
        return;
      }
      res.writeHead(200, {
        ...headers,
        'content-type': CONTENT_TYPES[extname(relative).toLowerCase()] ?? 'application/octet-stream',
        'content-length': String(stats.size),
        'accept-ranges': 'none',
      });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      hooks.served?.(relative, 'download');
      await streamBody(file, res, stats.size, step === 'serve' ? undefined : step.dropAfterBytes);
    } finally {
      await file.close().catch(() => {});
    }
  };

  /** An overlay file shadows the root's file of that path. */
  const openServed = async (relative: string): Promise<FileHandle> => {
    if (overlay !== undefined) {
      try {
        return await openWithin(overlay, relative);
      } catch (error) {
        if (!(error instanceof SrvGwRequestError && error.status === 404)) throw error;
      }
    }
    return openWithin(root, relative);
  };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof SrvGwRequestError) {
        if (error.status >= 500) log(`srv-gw ${req.method} refused: ${error.code}`);
        sendJson(res, error.status, error.code);
        return;
      }
      log(`srv-gw ${req.method} failed: ${String(error)}`);
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, 'internal_error');
    });
  };
  const servers: Server[] = [createServer(listener)];
  if (options.tls)
    servers.push(createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, listener));
  const ports: number[] = [];
  let host = options.host ?? '127.0.0.1';
  for (const [i, server] of servers.entries()) {
    await new Promise<void>((resolveListen, rejectListen) => {
      server.once('error', rejectListen);
      server.listen(i === 0 ? (options.port ?? 0) : 0, options.host ?? '127.0.0.1', () => {
        server.off('error', rejectListen);
        resolveListen();
      });
    });
    const address = server.address() as AddressInfo;
    host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    ports.push(address.port);
  }

  return {
    url: `http://${host}:${ports[0]}`,
    httpsUrl: options.tls ? `https://${host}:${ports[1]}` : undefined,
    close: () =>
      Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolveClose) => {
              server.close(() => resolveClose());
              server.closeAllConnections();
            }),
        ),
      ).then(() => undefined),
  };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function sendJson(
  res: ServerResponse,
  status: number,
  code: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: code });
  res
    .writeHead(status, {
      ...headers,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    })
    .end(body);
}

/**
 * Validates the part of the URL after `/files/` and returns the decoded relative path. Refuses
 * (400) anything that could leave the root: `.`/`..` segments (also percent-encoded), empty
 * segments (`//`, a leading `/` = absolute), backslashes, NUL and other control characters,
 * and malformed percent-encoding. Decoding happens ONCE, so `%252e%252e` is a harmless literal
 * name `%2e%2e`, never `..`. The control plane checks its scratch paths with it too.
 *
 * @example
 * parseFilePath('reports/2026/q3%20summary.csv'); // 'reports/2026/q3 summary.csv'
 * parseFilePath('%2e%2e/secret.txt'); // throws SrvGwRequestError(400, 'bad_path')
 */
export function parseFilePath(encoded: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    throw new SrvGwRequestError(400, 'bad_path');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (decoded === '' || /[\\\u0000-\u001f\u007f]/.test(decoded)) throw new SrvGwRequestError(400, 'bad_path');
  const segments = decoded.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw new SrvGwRequestError(400, 'bad_path');
  return decoded;
}

/**
 * Opens `relative` under `root`, refusing (404) anything whose real path (symlinks resolved)
 * is outside it. `O_NOFOLLOW` stops a symlink swapped in after the check from being followed.
 */
async function openWithin(root: string, relative: string): Promise<FileHandle> {
  const candidate = resolve(root, relative);
  if (!candidate.startsWith(root + sep)) throw new SrvGwRequestError(400, 'bad_path');
  let real: string;
  try {
    real = await realpath(candidate);
  } catch (error) {
    if (isMissing(error)) throw new SrvGwRequestError(404, 'not_found');
    throw error;
  }
  // Outside the root through a symlink: answer as if it did not exist, revealing nothing.
  if (!real.startsWith(root + sep)) throw new SrvGwRequestError(404, 'not_found');
  try {
    return await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new SrvGwRequestError(404, 'not_found');
    }
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function validators(stats: Stats): { etag: string; 'last-modified': string } {
  const mtimeNs = BigInt(Math.round(stats.mtimeMs * 1e6));
  return {
    etag: `"${stats.size.toString(16)}-${mtimeNs.toString(16)}"`,
    'last-modified': stats.mtime.toUTCString(),
  };
}

/**
 * RFC 9110 §13.2.2: `If-None-Match` (weak comparison, `*` matches any) decides when present;
 * only without it is `If-Modified-Since` checked, at the one-second precision of HTTP dates.
 */
function notModified(req: IncomingMessage, etag: string, stats: Stats): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
    return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === etag);
  }
  const ifModifiedSince = req.headers['if-modified-since'];
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && Math.floor(stats.mtimeMs / 1000) * 1000 <= since;
}

/** Streams the file in chunks (never whole into memory); with `dropAfter`, cuts the connection. */
async function streamBody(
  file: FileHandle,
  res: ServerResponse,
  size: number,
  dropAfter?: number,
): Promise<void> {
  if (dropAfter !== undefined && dropAfter < size) {
    res.flushHeaders();
    if (dropAfter > 0) {
      const stream = file.createReadStream({ start: 0, end: dropAfter - 1, autoClose: false });
      for await (const chunk of stream) {
        if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
      }
    }
    // End the socket (flushing what was written) short of Content-Length: a truncated body, the
    // way a proxy or server crash cuts a download, which a client must detect and retry.
    res.socket?.end();
    return;
  }
  const stream = file.createReadStream({ autoClose: false });
  await new Promise<void>((resolveStream, rejectStream) => {
    stream.on('error', rejectStream);
    res.on('close', () => {
      stream.destroy();
      resolveStream();
    });
    stream.pipe(res);
  });
}
