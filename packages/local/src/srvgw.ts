import { createHash, timingSafeEqual } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, realpath } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';

/**
 * A sample of the company's external file server (SRV-GW): read-only files under `/files/<path>`
 * behind a bearer credential, with the validators (`ETag`, `Last-Modified`) file delivery uses to
 * decide whether the copy in S3 is still fresh. Test hooks count requests per path and inject
 * faults (error status, a hang, a connection dropped mid-body) so retries and timeouts in the
 * SRV-GW client can be exercised against a real socket.
 *
 * ETag: strong, `"<size hex>-<mtime in ns, hex>"` (mtime as precise as `Stats.mtimeMs` carries,
 * sub-microsecond). A content hash would mean reading the whole file before the first byte goes
 * out; size + fine-grained mtime changes whenever the file is rewritten, which is what a cache
 * needs here. Ranges are not supported (`Accept-Ranges: none`).
 */

export type SrvGwFault =
  /** Answer with this status (and a small JSON body) instead of the file. */
  | { readonly status: number }
  /** Wait this long before answering normally (a slow or hung server, for client timeouts). */
  | { readonly hangMs: number }
  /** Send the headers with the full Content-Length, this many body bytes, then drop the connection. */
  | { readonly dropAfterBytes: number };

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
}

export interface SampleSrvGw {
  /** Base URL, e.g. `http://127.0.0.1:41234`; files are at `${url}/files/<path>`. */
  readonly url: string;
  /**
   * Authenticated requests for a valid path (GET and HEAD, including 304s and faulted ones).
   * With a path (relative to root, leading `/` optional): that path's count; without: the total.
   */
  hits(path?: string): number;
  /** Test hook: requests whose path equals or starts with `pathOrPrefix` get `fault` (longest prefix wins). */
  setFault(pathOrPrefix: string, fault: SrvGwFault): void;
  clearFaults(): void;
  /** Stops listening and drops open connections (including hung ones). */
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

class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
    this.name = 'RequestError';
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
  // Hashing both sides gives equal-length inputs, so timingSafeEqual leaks neither content nor length.
  const expected = sha256(`Bearer ${options.credential}`);
  const hitCounts = new Map<string, number>();
  const faults = new Map<string, SrvGwFault>();
  const hangs = new Set<NodeJS.Timeout>();

  const faultFor = (path: string): SrvGwFault | undefined => {
    let best: [string, SrvGwFault] | undefined;
    for (const entry of faults) {
      if (path.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
    }
    return best?.[1];
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!timingSafeEqual(sha256(req.headers.authorization ?? ''), expected)) {
      sendJson(res, 401, 'unauthorized', { 'www-authenticate': 'Bearer realm="srv-gw"' });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, 'method_not_allowed', { allow: 'GET, HEAD' });
      return;
    }
    const rawPath = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (!rawPath.startsWith('/files/')) {
      sendJson(res, 404, 'not_found');
      return;
    }
    const relative = parseFilePath(rawPath.slice('/files/'.length));
    hitCounts.set(relative, (hitCounts.get(relative) ?? 0) + 1);

    const fault = faultFor(relative);
    if (fault && 'status' in fault) {
      sendJson(res, fault.status, 'injected_fault');
      return;
    }
    if (fault && 'hangMs' in fault) {
      const proceed = await hang(fault.hangMs, res, hangs);
      if (!proceed) return;
    }

    const file = await openWithin(root, relative);
    try {
      const stats = await file.stat();
      if (!stats.isFile()) throw new RequestError(404, 'not_found');
      const headers = validators(stats);
      if (notModified(req, headers.etag, stats)) {
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
      const dropAfter = fault && 'dropAfterBytes' in fault ? fault.dropAfterBytes : undefined;
      await streamBody(file, res, stats.size, dropAfter);
    } finally {
      await file.close().catch(() => {});
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof RequestError) {
        if (error.status >= 500) log(`srv-gw ${req.method} refused: ${error.code}`);
        sendJson(res, error.status, error.code);
        return;
      }
      log(`srv-gw ${req.method} failed: ${String(error)}`);
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, 'internal_error');
    });
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    hits: (path?: string) => {
      if (path === undefined) return [...hitCounts.values()].reduce((a, b) => a + b, 0);
      return hitCounts.get(path.replace(/^\/+/, '')) ?? 0;
    },
    setFault: (pathOrPrefix: string, fault: SrvGwFault) => {
      faults.set(pathOrPrefix.replace(/^\/+/, ''), fault);
    },
    clearFaults: () => faults.clear(),
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const timer of hangs) clearTimeout(timer);
        hangs.clear();
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
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
 * name `%2e%2e`, never `..`.
 */
function parseFilePath(encoded: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    throw new RequestError(400, 'bad_path');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (decoded === '' || /[\\\u0000-\u001f\u007f]/.test(decoded)) throw new RequestError(400, 'bad_path');
  const segments = decoded.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw new RequestError(400, 'bad_path');
  return decoded;
}

/**
 * Opens `relative` under `root`, refusing (404) anything whose real path (symlinks resolved)
 * is outside it. `O_NOFOLLOW` stops a symlink swapped in after the check from being followed.
 */
async function openWithin(root: string, relative: string): Promise<FileHandle> {
  const candidate = resolve(root, relative);
  if (!candidate.startsWith(root + sep)) throw new RequestError(400, 'bad_path');
  let real: string;
  try {
    real = await realpath(candidate);
  } catch (error) {
    if (isMissing(error)) throw new RequestError(404, 'not_found');
    throw error;
  }
  // Outside the root through a symlink: answer as if it did not exist, revealing nothing.
  if (!real.startsWith(root + sep)) throw new RequestError(404, 'not_found');
  try {
    return await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new RequestError(404, 'not_found');
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

/** Waits `ms`; false if the client went away meanwhile (nothing left to answer). */
function hang(ms: number, res: ServerResponse, hangs: Set<NodeJS.Timeout>): Promise<boolean> {
  return new Promise((resolveHang) => {
    const timer = setTimeout(() => {
      hangs.delete(timer);
      res.off('close', onClose);
      resolveHang(!res.destroyed);
    }, ms).unref();
    const onClose = () => {
      clearTimeout(timer);
      hangs.delete(timer);
      resolveHang(false);
    };
    hangs.add(timer);
    res.once('close', onClose);
  });
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
