import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJsonLogger, parseEnv, required } from '@herald/runtime';
import { migrate } from '@herald/runtime/migrations';
import { createPgPool } from '@herald/runtime/pg';
import { rotatedDatabasePassword } from '@herald/runtime/secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { migrationSources } from '../migration-packages.ts';

/**
 * The migration custom resource (run by CloudFormation on every deploy that changes the
 * migrations): applies every source's pending SQL migrations (`MIGRATION_SOURCES`, in order:
 * the packages', then the adopter's dataset migrations) on the DB instance with the admin
 * credentials, read via the Parameters and Secrets Lambda Extension. The SQL files are bundled next to this file (`migrations/<package>/`), copied there
 * at bundling time.
 *
 * A failed migration fails the deploy (CloudFormation rolls back the stack; `migrate` already
 * rolled back the migration's transaction). Delete does nothing: dropping data is never automatic.
 */

/** Where the bundling step copies each package's `migrations` folder. */
const BUNDLED_MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

const EnvSchema = z.object({ HERALD_DATABASE_URL: required, HERALD_DATABASE_SECRET_ID: required });

interface MigrateResult {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly Applied: string };
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<MigrateResult> {
  const physicalId = 'PhysicalResourceId' in event ? event.PhysicalResourceId : 'herald-migrations';
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId, Data: { Applied: '' } };
  const env = parseEnv(EnvSchema, process.env, 'migrator');
  const log = createJsonLogger({ service: 'herald-migrator' });
  // The instance's certificate chains to the RDS CA, trusted through NODE_EXTRA_CA_CERTS.
  const pool = createPgPool(
    {
      url: env.HERALD_DATABASE_URL,
      password: rotatedDatabasePassword(env.HERALD_DATABASE_SECRET_ID, process.env),
      max: 1,
    },
    log,
  );
  try {
    const client = await pool.connect();
    try {
      const applied = await migrate(client, { sources: migrationSources(BUNDLED_MIGRATIONS) });
      log.log('info', 'migrations applied', { applied });
      return { PhysicalResourceId: 'herald-migrations', Data: { Applied: applied.join(',') } };
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
}
