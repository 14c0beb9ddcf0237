import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The web demo's package folder (its `index.html` and `vite.config.ts`). */
export const WEB_DEMO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web-demo');

/** Serves the web demo on the local stack's control server. */
export interface DemoMiddleware {
  /**
   * Answers the request when it is the demo's (`GET`/`HEAD` of `/`, `/index.html`, or a built
   * asset) and returns true; returns false for everything else, `/_local/*` included, so the
   * caller goes on routing.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean>;
  /** Stops Vite (dev mode) or deletes the built files (build mode). */
  close(): Promise<void>;
}

export interface DemoMiddlewareOptions {
  /**
   * - `build` (default): one `vite build` into a temporary folder on the first request, then
   *   static files. About 2 s once, then instant; no file watcher, no dependency optimizer that
   *   can reload a page mid-test.
   * - `dev`: Vite in middleware mode (no HMR): starts in ~0.2 s but compiles modules on demand,
   *   so the first page load is slower; an edit shows on the next reload.
   */
  readonly mode?: 'build' | 'dev';
  /** Build when created instead of on the first request (build mode). Default false. */
  readonly eager?: boolean;
  readonly log?: (line: string) => void;
}

/** The part of Vite's API this file uses (vite is web-demo's dependency, not local's). */
interface ViteApi {
  build(config: Record<string, unknown>): Promise<unknown>;
  createServer(config: Record<string, unknown>): Promise<{
    middlewares: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;
    close(): Promise<void>;
  }>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Vite is resolved from the web demo's folder: it is that package's build tool. */
async function loadVite(): Promise<ViteApi> {
  const require = createRequire(join(WEB_DEMO_ROOT, 'package.json'));
  return (await import(pathToFileURL(require.resolve('vite')).href)) as ViteApi;
}

/** The request's path when it is one the demo may answer, else undefined. */
function demoPath(req: IncomingMessage): string | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  let path: string;
  try {
    path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    return undefined;
  }
  // The control server's own routes; the demo never shadows them.
  if (path === '/_local' || path.startsWith('/_local/')) return undefined;
  return path;
}

/**
 * Serves `packages/web-demo` from the local stack's control server (node:http), so the page and
 * `GET /_local/info` share an origin and the page needs no build-time URLs.
 *
 * Nothing happens until the first request for the page (unless `eager`): a stack whose demo is
 * never opened, e.g. in most tests, pays nothing for it.
 *
 * @example
 * const demo = await createDemoMiddleware();
 * const server = createServer(async (req, res) => {
 *   if (await demo.handle(req, res)) return;
 *   res.writeHead(404).end();
 * });
 */
export async function createDemoMiddleware(options: DemoMiddlewareOptions = {}): Promise<DemoMiddleware> {
  const log = options.log ?? (() => {});
  return options.mode === 'dev' ? devMiddleware(log) : buildMiddleware(options.eager ?? false, log);
}

/** Runs `start` once, on first use; a failure is forgotten so the next use tries again. */
function once<T>(start: () => Promise<T>): { get(): Promise<T>; started(): Promise<T> | undefined } {
  let pending: Promise<T> | undefined;
  return {
    get() {
      if (!pending) {
        const attempt = start();
        pending = attempt;
        attempt.catch(() => {
          if (pending === attempt) pending = undefined;
        });
      }
      return pending;
    },
    started: () => pending,
  };
}

function sendStartupError(res: ServerResponse, what: string, error: unknown): true {
  res
    .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
    .end(`The web demo ${what}:\n\n${error instanceof Error ? error.message : String(error)}`);
  return true;
}

function devMiddleware(log: (line: string) => void): DemoMiddleware {
  let closed = false;
  const server = once(async () => {
    const started = performance.now();
    const vite = await loadVite();
    const created = await vite.createServer({
      root: WEB_DEMO_ROOT,
      configFile: join(WEB_DEMO_ROOT, 'vite.config.ts'),
      logLevel: 'warn',
      appType: 'spa',
      // No HMR socket (the control server is plain node:http) and no watcher: reload to see edits.
      server: { middlewareMode: true, hmr: false, watch: null },
    });
    log(`web demo: vite middleware ready in ${Math.round(performance.now() - started)} ms`);
    return created;
  });
  return {
    async handle(req, res) {
      if (closed || demoPath(req) === undefined) return false;
      let vite: Awaited<ReturnType<ViteApi['createServer']>>;
      try {
        vite = await server.get();
      } catch (error) {
        return sendStartupError(res, 'did not start', error);
      }
      return new Promise<boolean>((resolve) => {
        // Vite either answers (the response closes) or calls `next` (not its request).
        const answered = () => resolve(true);
        res.once('close', answered);
        vite.middlewares(req, res, () => {
          res.removeListener('close', answered);
          resolve(false);
        });
      });
    },
    async close() {
      closed = true;
      const vite = await server.started()?.catch(() => undefined);
      await vite?.close();
    },
  };
}

function buildMiddleware(eager: boolean, log: (line: string) => void): DemoMiddleware {
  let outDir: string | undefined;
  let closed = false;
  const built = once(async () => {
    const started = performance.now();
    const vite = await loadVite();
    const dir = await mkdtemp(join(tmpdir(), 'herald-demo-'));
    try {
      await vite.build({
        root: WEB_DEMO_ROOT,
        configFile: join(WEB_DEMO_ROOT, 'vite.config.ts'),
        logLevel: 'warn',
        build: { outDir: dir, emptyOutDir: true },
      });
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    outDir = dir;
    log(`web demo: built in ${Math.round(performance.now() - started)} ms`);
    return dir;
  });
  if (eager) built.get().catch((error: unknown) => log(`web demo: build failed: ${String(error)}`));

  const serve = async (path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    let dir: string;
    try {
      dir = await built.get();
    } catch (error) {
      return sendStartupError(res, 'did not build', error);
    }
    const isIndex = path === '/' || path === '/index.html';
    const file = normalize(join(dir, isIndex ? 'index.html' : path));
    if (!file.startsWith(dir + sep)) return false;
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return false;
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'x-content-type-options': 'nosniff',
      // Asset names carry a content hash; index.html must be revalidated to pick up a rebuild.
      'cache-control': path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    return true;
  };

  return {
    handle(req, res) {
      const path = demoPath(req);
      if (path === undefined || closed) return false;
      // Only the page and its built assets: other paths stay the caller's (its 404).
      if (path !== '/' && path !== '/index.html' && !path.startsWith('/assets/')) return false;
      return serve(path, req, res);
    },
    async close() {
      closed = true;
      await built.started()?.catch(() => undefined);
      if (outDir) await rm(outDir, { recursive: true, force: true });
    },
  };
}
