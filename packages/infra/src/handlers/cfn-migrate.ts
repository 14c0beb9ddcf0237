import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJsonLogger, delay, parseEnv, required } from '@herald/runtime';
import { loadMigrations, migrate } from '@herald/runtime/migrations';
import { createRotatedPgPool } from '@herald/runtime/secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import * as z from 'zod';
import { migrationSources, migrationsFingerprint } from '../migration-packages.ts';
import { type MigrateResult, runMigrationEvent } from '../migrator.ts';

/**
 * The migration custom resource (run by CloudFormation on every deploy that changes the
 * migrations): applies every source's pending SQL migrations (`MIGRATION_SOURCES`, in order:
 * the packages', then the adopter's dataset migrations) on the DB instance with the admin
 * credentials, read via the Parameters and Secrets Lambda Extension. The SQL files are bundled
 * next to this file (`migrations/<package>/`), copied there at bundling time. What each event
 * does (rollbacks, retries, Delete): `runMigrationEvent`.
 *
 * A failed migration fails the deploy (CloudFormation rolls back the stack; `migrate` already
 * rolled back the migration's transaction).
 */

/** Where the bundling step copies each package's `migrations` folder. */
const BUNDLED_MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

const EnvSchema = z.object({ HERALD_DATABASE_URL: required, HERALD_DATABASE_SECRET_ID: required });

const log = createJsonLogger({ service: 'herald-migrator' });

/** The pool migrations run on: the instance, with the rotated admin password. */
function openPool() {
  const env = parseEnv(EnvSchema, process.env, 'migrator');
  // The instance's certificate chains to the RDS CA, trusted through NODE_EXTRA_CA_CERTS.
  const pool = createRotatedPgPool(
    { url: env.HERALD_DATABASE_URL, secretId: env.HERALD_DATABASE_SECRET_ID, max: 1 },
    process.env,
    log,
  );
  // The promise form of `connect` (pg also has a callback one).
  return { connect: () => pool.connect(), end: () => pool.end() };
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<MigrateResult> {
  const sources = migrationSources(BUNDLED_MIGRATIONS);
  return runMigrationEvent(event, {
    bundledFingerprint: migrationsFingerprint(loadMigrations(sources)),
    pool: openPool,
    migrate: (client) => migrate(client, { sources }),
    log,
    sleep: delay,
    random: Math.random,
  });
}
