import { readFileSync } from 'node:fs';
import pg from 'pg';
import type { Logger } from './log.ts';

export { describePgError, isConnectionBroken, isRetryablePgError, sqlStateOf } from './pg-errors.ts';

/**
 * Where a pool gets the password of a NEW connection. `refresh` (optional) is called after the
 * server refused a password (SQLSTATE 28P01): the next call must not answer from a cache, since
 * the secret was rotated since it was read.
 */
export interface PasswordSource {
  (): Promise<string>;
  readonly refresh?: () => void;
}

/**
 * What {@link createPgPool} needs.
 *
 * @example
 * const config: PgPoolConfig = { url: 'postgresql://herald@proxy:5432/herald?sslmode=verify-full', password: readPassword };
 */
export interface PgPoolConfig {
  /**
   * `postgres://user[:password]@host[:port]/database[?sslmode=…]`. `sslmode`: `disable` (or
   * absent) → no TLS; `require`, `verify-ca`, `verify-full` → TLS verified against Node's CAs
   * (RDS Proxy's certificates chain to Amazon's public roots; a DB instance's to the RDS CA,
   * which Lambda trusts through `NODE_EXTRA_CA_CERTS`); `no-verify` → TLS, unverified.
   * `sslrootcert=<file>` (libpq's parameter) trusts that CA file instead.
   */
  readonly url: string;
  /**
   * The password when the URL has none, asked for each NEW connection — a rotated secret is
   * picked up without a redeploy. Ignored when the URL carries a password.
   */
  readonly password?: PasswordSource;
  /** @default 4 */
  readonly max?: number;
  /** @default 30_000 */
  readonly idleTimeoutMillis?: number;
  /** @default 10_000 */
  readonly connectionTimeoutMillis?: number;
}

const SSL_MODES: Readonly<Record<string, pg.PoolConfig['ssl']>> = {
  disable: false,
  require: { rejectUnauthorized: true },
  'verify-ca': { rejectUnauthorized: true },
  'verify-full': { rejectUnauthorized: true },
  'no-verify': { rejectUnauthorized: false },
};

/**
 * The pool options for a config, as EXPLICIT fields (host, port, user, database, ssl, password),
 * never `connectionString`: pg 8 lets fields parsed from a connection string override the config
 * object, so `{connectionString: 'postgresql://u@h/db', password: fn}` ends with
 * `password === null` and SCRAM fails with "client password must be a string". Pure: the URL is
 * parsed here, and nothing of it reaches an error message (it may hold a password).
 *
 * @throws TypeError for a URL that is not `postgres(ql)://…`, or an unknown `sslmode`.
 * @example
 * pgPoolOptions({ url: 'postgresql://herald@db:5432/herald?sslmode=verify-full', password });
 * // { host: 'db', port: 5432, user: 'herald', database: 'herald', ssl: { rejectUnauthorized: true }, password, … }
 */
export function pgPoolOptions(
  config: PgPoolConfig,
  readCaFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): pg.PoolConfig {
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw new TypeError('the database URL is not a URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw new TypeError('the database URL must start with postgres:// or postgresql://');
  const sslmode = url.searchParams.get('sslmode') ?? 'disable';
  if (!(sslmode in SSL_MODES))
    throw new TypeError(`the database URL's sslmode "${sslmode}" is not supported`);
  const password = url.password !== '' ? decodeURIComponent(url.password) : config.password;
  const rootCert = url.searchParams.get('sslrootcert');
  const ssl = SSL_MODES[sslmode];
  // libpq's parameter: names the connections in pg_stat_activity (operators and tests find a
  // client's backends by it).
  const applicationName = url.searchParams.get('application_name');
  return {
    host: decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 5432 : Number(url.port),
    user: decodeURIComponent(url.username),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')),
    ...(password !== undefined && { password }),
    ...(applicationName !== null && { application_name: applicationName }),
    ssl: typeof ssl === 'object' && rootCert !== null ? { ...ssl, ca: readCaFile(rootCert) } : ssl,
    max: config.max ?? 4,
    idleTimeoutMillis: config.idleTimeoutMillis ?? 30_000,
    connectionTimeoutMillis: config.connectionTimeoutMillis ?? 10_000,
  };
}

/** SQLSTATE 28P01 `invalid_password`: the server refused the password. */
const INVALID_PASSWORD = '28P01';

type ConnectCallback = (
  error: Error | undefined,
  client?: pg.PoolClient,
  done?: (release?: unknown) => void,
) => void;

/**
 * A `pg.Pool` from a config ({@link pgPoolOptions}). An idle client whose server went away
 * emits `error` on the pool; unhandled, that would crash the process, so it is logged.
 *
 * A new connection refused for its password (the secret was rotated after the secrets cache
 * read it) is tried once more after `password.refresh()`, so a rotation costs no failed request
 * (the Parameters and Secrets extension caches a secret up to `SECRETS_MANAGER_TTL`).
 *
 * @example
 * const pool = createPgPool({ url: config.databaseUrl, password: databasePassword, max: 2 }, log);
 */
export function createPgPool(config: PgPoolConfig, log: Logger): pg.Pool {
  const pool = new pg.Pool(pgPoolOptions(config));
  pool.on('error', (error) => log.log('warn', 'idle database connection failed', { error }));
  const refresh = config.password?.refresh;
  if (refresh === undefined) return pool;
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  const connectOnce = async (): Promise<pg.PoolClient> => {
    try {
      return await connect();
    } catch (error) {
      if ((error as { code?: unknown }).code !== INVALID_PASSWORD) throw error;
      log.log('warn', 'database refused the password; reading the secret again');
      refresh();
      return connect();
    }
  };
  // pg-pool's own query() calls connect with a callback: both forms go through the retry.
  pool.connect = ((callback?: ConnectCallback) => {
    const connected = connectOnce();
    if (callback === undefined) return connected;
    connected.then(
      (client) =>
        callback(undefined, client, (release) => client.release(release as Error | boolean | undefined)),
      (error: Error) => callback(error),
    );
    return undefined;
  }) as typeof pool.connect;
  return pool;
}
