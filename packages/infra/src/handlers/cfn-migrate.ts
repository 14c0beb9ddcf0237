import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJsonLogger, lambdaExtensionSecrets, parseEnv, required } from '@herald/runtime';
import { migrate } from '@herald/runtime/migrations';
import { createPgPool } from '@herald/runtime/pg';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import { migrationSources } from '../migration-packages.ts';

/**
 * The migration custom resource (run by CloudFormation on every deploy that changes the
 * migrations): applies every package's pending SQL migrations (`MIGRATION_PACKAGES`, in order)
 * through RDS Proxy with the admin credentials, read via the Parameters and Secrets Lambda
 * Extension. The SQL files are bundled next to this file (`migrations/<package>/`), copied there
 * at bundling time.
 *
 * A failed migration fails the deploy (CloudFormation rolls back the stack; `migrate` already
 * rolled back the migration's transaction). Delete does nothing: dropping data is never automatic.
 */

/** Where the bundling step copies each package's `migrations` folder. */
const BUNDLED_MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

const EnvSchema = z.object({ HERALD_DATABASE_HOST: required, HERALD_DATABASE_SECRET_ID: required });

/** The generated admin credentials in Secrets Manager (the RDS secret's JSON). */
interface DatabaseSecret {
  readonly username: string;
  readonly password: string;
  readonly dbname?: string;
}

interface MigrateResult {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly Applied: string };
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<MigrateResult> {
  const physicalId = 'PhysicalResourceId' in event ? event.PhysicalResourceId : 'herald-migrations';
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId, Data: { Applied: '' } };
  const env = parseEnv(EnvSchema, process.env, 'migrator');
  const log = createJsonLogger({ service: 'herald-migrator' });
  const secret = JSON.parse(
    await lambdaExtensionSecrets(process.env)(env.HERALD_DATABASE_SECRET_ID),
  ) as DatabaseSecret;
  const user = encodeURIComponent(secret.username);
  const database = encodeURIComponent(secret.dbname ?? 'herald');
  // RDS Proxy presents an Amazon-issued certificate that Node's default CAs verify (verify-full).
  const pool = createPgPool(
    {
      url: `postgresql://${user}@${env.HERALD_DATABASE_HOST}:5432/${database}?sslmode=verify-full`,
      password: async () => secret.password,
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
