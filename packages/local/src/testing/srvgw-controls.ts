import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, realpath, rm, unlink } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  parseFilePath,
  type SampleSrvGw,
  type SampleSrvGwOptions,
  type SrvGwFileStep,
  type SrvGwHooks,
  SrvGwRequestError,
  startSampleSrvGw,
} from '../srvgw.ts';

/**
 * The sample SRV-GW's test control plane: request counters, injected faults (an error status, a
 * hang, a connection dropped mid-body) and scratch files, so that the SRV-GW client's caching,
 * retries and timeouts can be exercised against a real socket. It plugs into the server through
 * {@link SrvGwHooks}; `startLocalStack({ testControls: true })` mounts it, `npm run dev` never does.
 *
 * Tests in other processes (vitest workers) reach it over HTTP, under `/_control/` on the
 * server's own port (the same bearer credential, loopback clients only):
 * - `GET /_control/stats[?path=p]` → `{hits, downloads, notModified}` for a path (or in all);
 * - `GET /_control/requests?contains=s` → `{count}`: how many of the last 10 000 requests
 *   (any method, path or credential) had `s` in their raw request target, so a test can prove
 *   a request never arrived;
 * - `PUT /_control/faults {path, fault}` sets a fault like {@link ControlledSrvGw.setFault};
 *   `DELETE /_control/faults[?path=p]` clears one or all;
 * - `PUT /_control/files/<path>` writes the body (or, with `?size=N`, N zero bytes as a sparse
 *   file) as a scratch file served at `/files/<path>`, shadowing the root;
 *   `DELETE /_control/files/<path>` removes it.
 *
 * Scratch files live in a temporary folder (never in the served root, so nothing is left in the
 * repository), deleted on close.
 */

export type SrvGwFault =
  /** Answer with this status (and a small JSON body) instead of the file. */
  | { readonly status: number }
  /** Wait this long before answering normally (a slow or hung server, for client timeouts). */
  | { readonly hangMs: number }
  /** Send the headers with the full Content-Length, this many body bytes, then drop the connection. */
  | { readonly dropAfterBytes: number };

/** What a path was served: every request, full GET downloads (200 with a body) and 304s. */
export interface SrvGwStats {
  readonly hits: number;
  readonly downloads: number;
  readonly notModified: number;
}

export interface SrvGwControls {
  /** What to pass to `startSampleSrvGw({ hooks })`. */
  readonly hooks: SrvGwHooks;
  /**
   * Authorized requests for a valid path (GET and HEAD, including 304s and faulted ones).
   * With a path (relative to root, leading `/` optional): that path's count; without: the total.
   */
  hits(path?: string): number;
  /** Hits split by answer, for a path or in all (see {@link SrvGwStats}). */
  stats(path?: string): SrvGwStats;
  /** Requests whose path equals or starts with `pathOrPrefix` get `fault` (longest prefix wins). */
  setFault(pathOrPrefix: string, fault: SrvGwFault): void;
  clearFaults(): void;
  /** Ends pending hangs and deletes the scratch folder; call after the server's close. */
  close(): Promise<void>;
}

/** The sample SRV-GW with the control plane mounted. */
export type ControlledSrvGw = SampleSrvGw & Omit<SrvGwControls, 'hooks'>;

/** Largest body `PUT /_control/files/…` accepts (sparse files of any size use `?size=`). */
const MAX_CONTROL_BODY_BYTES = 64 * 1024 * 1024;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
/** Raw request targets kept for `GET /_control/requests`. */
const RECENT_REQUESTS = 10_000;
const ZERO_STATS: SrvGwStats = { hits: 0, downloads: 0, notModified: 0 };

/**
 * Starts the sample SRV-GW with its test control plane.
 *
 * @example
 * const srvgw = await startSrvGwWithControls({ root, credential: 'test-secret' });
 * srvgw.setFault('reports/', { status: 503 });
 * // … GET /files/reports/x.csv answers 503, and srvgw.hits('reports/x.csv') counts it
 * await srvgw.close();
 */
export async function startSrvGwWithControls(
  options: Omit<SampleSrvGwOptions, 'hooks'>,
): Promise<ControlledSrvGw> {
  const { hooks, close, ...controls } = await createSrvGwControls();
  let server: SampleSrvGw;
  try {
    server = await startSampleSrvGw({ ...options, hooks });
  } catch (error) {
    await close();
    throw error;
  }
  return {
    ...controls,
    url: server.url,
    httpsUrl: server.httpsUrl,
    close: async () => {
      await server.close();
      await close();
    },
  };
}

/**
 * The control plane alone, for a server started with its `hooks`.
 *
 * @example
 * const controls = await createSrvGwControls();
 * const srvgw = await startSampleSrvGw({ root, credential, hooks: controls.hooks });
 * // … tests …
 * await srvgw.close();
 * await controls.close();
 */
export async function createSrvGwControls(): Promise<SrvGwControls> {
  const scratch = await realpath(await mkdtemp(join(tmpdir(), 'herald-srvgw-scratch-')));
  const counters = new Map<string, { hits: number; downloads: number; notModified: number }>();
  const faults = new Map<string, SrvGwFault>();
  const hangs = new Set<NodeJS.Timeout>();
  const recent: string[] = [];

  const count = (path: string, what: keyof SrvGwStats) => {
    const entry = counters.get(path) ?? { ...ZERO_STATS };
    entry[what]++;
    counters.set(path, entry);
  };
  const stats = (path?: string): SrvGwStats => {
    if (path !== undefined) return { ...(counters.get(path.replace(/^\/+/, '')) ?? ZERO_STATS) };
    const total = { ...ZERO_STATS };
    for (const entry of counters.values()) {
      total.hits += entry.hits;
      total.downloads += entry.downloads;
      total.notModified += entry.notModified;
    }
    return total;
  };
  const setFault = (pathOrPrefix: string, fault: SrvGwFault) => {
    faults.set(pathOrPrefix.replace(/^\/+/, ''), fault);
  };
  const faultFor = (path: string): SrvGwFault | undefined => {
    let best: [string, SrvGwFault] | undefined;
    for (const entry of faults) {
      if (path.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
    }
    return best?.[1];
  };

  const handleControl = async (req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> => {
    if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) {
      throw new SrvGwRequestError(403, 'control_is_loopback_only');
    }
    const query = new URL(req.url ?? '/', 'http://srvgw.invalid').searchParams;
    if (rawPath === '/_control/stats' && req.method === 'GET') {
      const path = query.get('path');
      sendBody(res, 200, stats(path === null ? undefined : path));
      return;
    }
    if (rawPath === '/_control/requests' && req.method === 'GET') {
      const contains = query.get('contains');
      if (contains === null || contains === '') throw new SrvGwRequestError(400, 'contains_required');
      sendBody(res, 200, { count: recent.filter((t) => t.includes(contains)).length });
      return;
    }
    if (rawPath === '/_control/faults' && req.method === 'PUT') {
      const body = (await readJson(req)) as { path?: unknown; fault?: unknown } | undefined;
      const fault = parseFault(body?.fault);
      if (typeof body?.path !== 'string' || fault === undefined)
        throw new SrvGwRequestError(400, 'bad_fault');
      setFault(body.path, fault);
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
    if (rawPath.startsWith('/_control/files/')) {
      const target = resolve(scratch, parseFilePath(rawPath.slice('/_control/files/'.length)));
      if (!target.startsWith(scratch + sep)) throw new SrvGwRequestError(400, 'bad_path');
      if (req.method === 'PUT') {
        await writeScratchFile(req, target, query.get('size'));
        res.writeHead(204).end();
        return;
      }
      if (req.method === 'DELETE') {
        try {
          await unlink(target);
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'ENOTDIR') throw new SrvGwRequestError(404, 'not_found');
          throw error;
        }
        res.writeHead(204).end();
        return;
      }
    }
    throw new SrvGwRequestError(404, 'not_found');
  };

  const hooks: SrvGwHooks = {
    overlay: scratch,
    request: async (req, res, authorized) => {
      const target = req.url ?? '/';
      if (!target.startsWith('/_control/')) {
        recent.push(target);
        if (recent.length > RECENT_REQUESTS) recent.shift();
        return false;
      }
      // Without the credential the server answers 401, as for any other path.
      if (!authorized) return false;
      await handleControl(req, res, target.split('?', 1)[0] ?? target);
      return true;
    },
    file: async (path, res): Promise<SrvGwFileStep> => {
      count(path, 'hits');
      const fault = faultFor(path);
      if (fault === undefined) return 'serve';
      if ('status' in fault) throw new SrvGwRequestError(fault.status, 'injected_fault');
      if ('dropAfterBytes' in fault) return { dropAfterBytes: fault.dropAfterBytes };
      return (await hang(fault.hangMs, res, hangs)) ? 'serve' : 'done';
    },
    served: (path, answer) => count(path, answer === 'download' ? 'downloads' : 'notModified'),
  };

  return {
    hooks,
    hits: (path?: string) => stats(path).hits,
    stats,
    setFault,
    clearFaults: () => faults.clear(),
    close: async () => {
      for (const timer of hangs) clearTimeout(timer);
      hangs.clear();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

/** `PUT /_control/files/<path>`: the body, or with `?size=N` a sparse file of N zero bytes. */
async function writeScratchFile(req: IncomingMessage, target: string, size: string | null): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  if (size === null) {
    if (Number(req.headers['content-length'] ?? 0) > MAX_CONTROL_BODY_BYTES)
      throw new SrvGwRequestError(413, 'too_large');
    await pipeline(req, createWriteStream(target));
    return;
  }
  if (!/^\d{1,13}$/.test(size)) throw new SrvGwRequestError(400, 'bad_size');
  req.resume();
  const handle = await open(target, 'w');
  try {
    await handle.truncate(Number(size)); // sparse: no disk blocks for the zeros
  } finally {
    await handle.close();
  }
}

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
    if (size > 64 * 1024) throw new SrvGwRequestError(413, 'too_large');
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
