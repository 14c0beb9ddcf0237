import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadMigrations, migrate } from '@herald/ingest/migrations';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import pg from 'pg';

/**
 * The migration custom resource (run by CloudFormation on every deploy that changes the
 * migrations): applies `@herald/ingest`'s pending SQL migrations through RDS Proxy with the
 * admin credentials, read via the Parameters and Secrets Lambda Extension. The SQL files are
 * bundled next to this file (`migrations/`), copied there at bundling time.
 *
 * A failed migration fails the deploy (CloudFormation rolls back the stack; `migrate` already
 * rolled back the migration's transaction). Delete does nothing: dropping data is never automatic.
 */

/** Where the bundling step copies `packages/ingest/migrations`. */
const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');

interface DatabaseSecret {
  readonly username: string;
  readonly password: string;
  readonly dbname?: string;
}

interface MigrateResult {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly Applied: string };
}

async function readSecret(secretId: string): Promise<DatabaseSecret> {
  const url = new URL('http://localhost:2773/secretsmanager/get');
  url.searchParams.set('secretId', secretId);
  const response = await fetch(url, {
    headers: { 'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN ?? '' },
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`the secrets extension answered HTTP ${response.status}`);
  const body = (await response.json()) as { SecretString?: string };
  return JSON.parse(body.SecretString ?? '{}') as DatabaseSecret;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<MigrateResult> {
  const physicalId = 'PhysicalResourceId' in event ? event.PhysicalResourceId : 'herald-migrations';
  if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId, Data: { Applied: '' } };
  const secret = await readSecret(required('HERALD_DATABASE_SECRET_ID'));
  const client = new pg.Client({
    host: required('HERALD_DATABASE_HOST'),
    port: 5432,
    database: secret.dbname ?? 'herald',
    user: secret.username,
    password: secret.password,
    // RDS Proxy presents an Amazon-issued certificate that Node's default CAs verify.
    ssl: { rejectUnauthorized: true },
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  try {
    const applied = await migrate(client, { migrations: loadMigrations(MIGRATIONS_DIR) });
    console.log(JSON.stringify({ level: 'info', msg: 'migrations applied', applied }));
    return { PhysicalResourceId: 'herald-migrations', Data: { Applied: applied.join(',') } };
  } finally {
    await client.end();
  }
}
