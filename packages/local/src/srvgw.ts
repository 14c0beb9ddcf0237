import { createHash, timingSafeEqual } from 'node:crypto';
import { constants, createWriteStream, type Stats } from 'node:fs';
import { type FileHandle, mkdir, mkdtemp, open, realpath, rm, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

/**
 * A sample of the company's external file server (SRV-GW): read-only files under `/files/<path>`
 * behind a bearer credential, with the validators (`ETag`, `Last-Modified`) file delivery uses to
 * decide whether the copy in S3 is still fresh. Test hooks count requests per path and inject
 * faults (error status, a hang, a connection dropped mid-body) so retries and timeouts in the
 * SRV-GW client can be exercised against a real socket.
 *
 * Tests in other processes (vitest workers) reach the same hooks over HTTP: the test-only
 * control endpoint under `/_control/` (same bearer credential, loopback clients only; see
 * {@link SampleSrvGwOptions.control}) reads counters, sets faults, and writes temporary files
 * into a scratch folder served on top of the root (never into the root, so nothing is left in
 * the repository; the scratch folder is deleted on close).
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
  /**
   * Serve the test-only control endpoint (`/_control/…`, loopback clients with the credential):
   * - `GET /_control/stats[?path=p]` → `{hits, downloads, notModified}` for a path (or in all);
   * - `GET /_control/requests?contains=s` → `{count}`: how many of the last 10 000 requests
   *   (any method, path or credential) had `s` in their raw request target, so a test can prove
   *   a request never arrived;
   * - `PUT /_control/faults {path, fault}` sets a fault like {@link SampleSrvGw.setFault};
   *   `DELETE /_control/faults[?path=p]` clears one or all;
   * - `PUT /_control/files/<path>` writes the body (or, with `?size=N`, N zero bytes as a sparse
   *   file) as a scratch file served at `/files/<path>`, shadowing the root;
   *   `DELETE /_control/files/<path>` removes it.
   * @default true
   */
  readonly control?: boolean;
}

/** What a path was served: every request, full GET downloads (200 with a body) and 304s. */
export interface SrvGwStats {
  readonly hits: number;
  readonly downloads: number;
  readonly notModified: number;
}

export interface SampleSrvGw {
  /** Base URL, e.g. `http://127.0.0.1:41234`; files are at `${url}/files/<path>`. */
  readonly url: string;
  /**
   * Authenticated requests for a valid path (GET and HEAD, including 304s and faulted ones).
   * With a path (relative to root, leading `/` optional): that path's count; without: the total.
   */
  hits(path?: string): number;
  /** Hits split by answer, for a path or in all (see {@link SrvGwStats}). */
  stats(path?: string): SrvGwStats;
  /** Test hook: requests whose path equals or starts with `pathOrPrefix` get `fault` (longest prefix wins). */
  setFault(pathOrPrefix: string, fault: SrvGwFault): void;
  clearFaults(): void;
  /** Stops listening and drops open connections (including hung ones). */
  close(): Promise<void>;
}

/** Largest body `PUT /_control/files/…` accepts (sparse files of any size use `?size=`). */
const MAX_CONTROL_BODY_BYTES = 64 * 1024 * 1024;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
/** Raw request targets kept for `GET /_control/requests`. */
const RECENT_REQUESTS = 10_000;

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
  const counters = new Map<string, { hits: number; downloads: number; notModified: number }>();
  const count = (path: string, what: 'hits' | 'downloads' | 'notModified') => {
    const entry = counters.get(path) ?? { hits: 0, downloads: 0, notModified: 0 };
    entry[what]++;
    counters.set(path, entry);
  };
  const statsOf = (path?: string): SrvGwStats => {
    if (path !== undefined) return { ...(counters.get(path.replace(/^\/+/, '')) ?? ZERO_STATS) };
    const total = { hits: 0, downloads: 0, notModified: 0 };
    for (const entry of counters.values()) {
      total.hits += entry.hits;
      total.downloads += entry.downloads;
      total.notModified += entry.notModified;
    }
    return total;
  };
  const faults = new Map<string, SrvGwFault>();
  const hangs = new Set<NodeJS.Timeout>();
  const control = options.control ?? true;
  const scratch = control
    ? await realpath(await mkdtemp(join(tmpdir(), 'herald-srvgw-scratch-')))
    : undefined;

  const faultFor = (path: string): SrvGwFault | undefined => {
    let best: [string, SrvGwFault] | undefined;
    for (const entry of faults) {
      if (path.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
    }
    return best?.[1];
  };

  const recent: string[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const target = req.url ?? '/';
    if (control && !target.startsWith('/_control/')) {
      recent.push(target);
      if (recent.length > RECENT_REQUESTS) recent.shift();
    }
    if (!timingSafeEqual(sha256(req.headers.authorization ?? ''), expected)) {
      sendJson(res, 401, 'unauthorized', { 'www-authenticate': 'Bearer realm="srv-gw"' });
      return;
    }
    const rawPath = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (scratch !== undefined && rawPath.startsWith('/_control/')) {
      await handleControl(req, res, rawPath);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendJson(res, 405, 'method_not_allowed', { allow: 'GET, HEAD' });
      return;
    }
    if (!rawPath.startsWith('/files/')) {
      sendJson(res, 404, 'not_found');
      return;
    }
    const relative = parseFilePath(rawPath.slice('/files/'.length));
    count(relative, 'hits');

    const fault = faultFor(relative);
    if (fault && 'status' in fault) {
      sendJson(res, fault.status, 'injected_fault');
      return;
    }
    if (fault && 'hangMs' in fault) {
      const proceed = await hang(fault.hangMs, res, hangs);
      if (!proceed) return;
    }

    const file = await openServed(relative);
    try {
      const stats = await file.stat();
      if (!stats.isFile()) throw new RequestError(404, 'not_found');
      const headers = validators(stats);
      if (notModified(req, headers.etag, stats)) {
        count(relative, 'notModified');
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
      count(relative, 'downloads');
      const dropAfter = fault && 'dropAfterBytes' in fault ? fault.dropAfterBytes : undefined;
      await streamBody(file, res, stats.size, dropAfter);
    } finally {
      await file.close().catch(() => {});
    }
  };

  /** A scratch file (written through the control endpoint) shadows the root's file of that path. */
  const openServed = async (relative: string): Promise<FileHandle> => {
    if (scratch !== undefined) {
      try {
        return await openWithin(scratch, relative);
      } catch (error) {
        if (!(error instanceof RequestError && error.status === 404)) throw error;
      }
    }
    return openWithin(root, relative);
  };

  const handleControl = async (req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> => {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) {
      sendJson(res, 403, 'control_is_loopback_only');
      return;
    }
    const query = new URL(req.url ?? '/', 'http://srvgw.invalid').searchParams;
    if (rawPath === '/_control/stats' && req.method === 'GET') {
      const path = query.get('path');
      sendBody(res, 200, statsOf(path === null ? undefined : path));
      return;
    }
    if (rawPath === '/_control/requests' && req.method === 'GET') {
      const contains = query.get('contains');
      if (contains === null || contains === '') throw new RequestError(400, 'contains_required');
      sendBody(res, 200, { count: recent.filter((t) => t.includes(contains)).length });
      return;
    }
    if (rawPath === '/_control/faults' && req.method === 'PUT') {
      const body = (await readJson(req)) as { path?: unknown; fault?: unknown } | undefined;
      const fault = parseFault(body?.fault);
      if (typeof body?.path !== 'string' || fault === undefined) throw new RequestError(400, 'bad_fault');
      faults.set(body.path.replace(/^\/+/, ''), fault);
      res.writeHead(204).end();
      return;
    }
    if (rawPath === '/_control/faults' && req.method === 'DELETE') {
      const path = query.get('path');
      if (path === null) faults.clear();
      else faults.delete(path.replace(/^\/+/, ''));
      res.writeHead(204).end();
      return;
    }
    if (rawPath.startsWith('/_control/files/') && scratch !== undefined) {
      const relative = parseFilePath(rawPath.slice('/_control/files/'.length));
      const target = resolve(scratch, relative);
      if (!target.startsWith(scratch + sep)) throw new RequestError(400, 'bad_path');
      if (req.method === 'PUT') {
        await mkdir(dirname(target), { recursive: true });
        const size = query.get('size');
        if (size !== null) {
          if (!/^\d{1,13}$/.test(size)) throw new RequestError(400, 'bad_size');
          req.resume();
          const handle = await open(target, 'w');
          try {
            await handle.truncate(Number(size)); // sparse: no disk blocks for the zeros
          } finally {
            await handle.close();
          }
        } else {
          if (Number(req.headers['content-length'] ?? 0) > MAX_CONTROL_BODY_BYTES)
            throw new RequestError(413, 'too_large');
          await pipeline(req, createWriteStream(target));
        }
        res.writeHead(204).end();
        return;
      }
      if (req.method === 'DELETE') {
        try {
          await unlink(target);
        } catch (error) {
          if (isMissing(error)) throw new RequestError(404, 'not_found');
          throw error;
        }
        res.writeHead(204).end();
        return;
      }
    }
    sendJson(res, 404, 'not_found');
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
    hits: (path?: string) => statsOf(path).hits,
    stats: statsOf,
    setFault: (pathOrPrefix: string, fault: SrvGwFault) => {
      faults.set(pathOrPrefix.replace(/^\/+/, ''), fault);
    },
    clearFaults: () => faults.clear(),
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const timer of hangs) clearTimeout(timer);
        hangs.clear();
        server.close(() => {
          if (scratch === undefined) resolveClose();
          else rm(scratch, { recursive: true, force: true }).finally(() => resolveClose());
        });
        server.closeAllConnections();
      }),
  };
}

const ZERO_STATS: SrvGwStats = { hits: 0, downloads: 0, notModified: 0 };

function sendBody(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
    })
    .end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 64 * 1024) throw new RequestError(413, 'too_large');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** A fault as the control endpoint accepts it (exactly one of the {@link SrvGwFault} shapes). */
function parseFault(value: unknown): SrvGwFault | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const entries = Object.entries(value);
  if (entries.length !== 1) return undefined;
  const [name, amount] = entries[0] as [string, unknown];
  if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 0) return undefined;
  if (name === 'status' && amount >= 100 && amount <= 599) return { status: amount };
  if (name === 'hangMs' && amount <= 600_000) return { hangMs: amount };
  if (name === 'dropAfterBytes') return { dropAfterBytes: amount };
  return undefined;
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
