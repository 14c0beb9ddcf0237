import { randomUUID } from 'node:crypto';
import { createJsonLogger, systemClock } from '@herald/runtime';
import { EmfMetrics } from '@herald/runtime/metrics-emf';
import { createRotatedPgPool } from '@herald/runtime/secrets-manager';
import { PgGrantRepository } from '../adapters/pg-grant-repository.ts';
import type { DepsProvider, FilesDeps } from '../compose.ts';
import { type FilesConfig, loadConfig } from '../config.ts';

// What every handler of the package builds: the pool, the grants repository, the logger and the
// metrics. The admin grant routes need nothing more, so their entry files import this module
// only; delivery (S3, SQS, SRV-GW and the `file.ready` publisher with its FCM push sender) is
// added in `compose.ts`, which only the link handler and the fetch worker import.

const SERVICE = 'herald-files';

/**
 * Builds the pool, the grants repository, the logger and the metrics for a configuration. The
 * only place that does.
 *
 * @example
 * const deps = buildDeps(loadConfig(process.env));
 */
export function buildDeps(config: FilesConfig): FilesDeps {
  const log = createJsonLogger({ service: SERVICE }, undefined, config.logLevel);
  const metrics = new EmfMetrics({ service: SERVICE, log });
  // One small pool per container: every statement is a single query on the pool (grants are
  // read once per request). The rotated password is read per new connection, so a rotation
  // needs no redeploy.
  const pool = createRotatedPgPool(
    { url: config.databaseUrl, secretId: config.databaseSecretId, max: config.databasePoolMax },
    process.env,
    log,
  );
  return {
    grants: new PgGrantRepository({ pool }),
    clock: systemClock,
    log,
    cors: { allowedOrigins: config.allowedOrigins },
    metrics,
    newId: randomUUID,
    close: () => pool.end(),
  };
}

let deps: FilesDeps | undefined;

/**
 * The container's deps: config is read from `process.env` and clients are built on the FIRST
 * call, then reused by every warm invocation. Reading lazily (not at import) lets the local
 * stack import the handler modules first and set the environment afterwards.
 *
 * @example
 * export const handler = makeHttpListGrantsHandler(getDeps);
 */
export const getDeps: DepsProvider = () => {
  deps ??= buildDeps(loadConfig(process.env));
  return deps;
};

/**
 * Forgets the deps and closes the pool (`resetDeps` in `compose.ts` calls it, after closing
 * the delivery deps built on them).
 *
 * @example
 * await resetBaseDeps();
 */
export async function resetBaseDeps(): Promise<void> {
  const previous = deps;
  deps = undefined;
  await previous?.close?.().catch(() => {});
}
