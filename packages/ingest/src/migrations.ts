import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MigrationSource } from '@herald/runtime/migrations';

/** The folder of versioned SQL migrations this package owns (`NNN_name.sql`, applied in order). */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

/**
 * This package's migrations, for the runner of `@herald/runtime/migrations`.
 *
 * @example
 * await migrate(client, { sources: [MIGRATIONS] });
 */
export const MIGRATIONS: MigrationSource = { package: 'ingest', dir: MIGRATIONS_DIR };
