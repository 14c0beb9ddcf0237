import { inject } from 'vitest';

/**
 * The connection string of the run's PostgreSQL (the local stack `packages/local/tests/global-setup.ts`
 * starts once per run), with its password.
 */
export function postgresUrl(): string {
  return (inject('stack' as never) as { postgres: { connectionString: string } }).postgres.connectionString;
}
