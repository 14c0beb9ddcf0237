import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MigrationSource } from '@herald/runtime/migrations';

/** The folder of versioned SQL migrations this package owns (`NNN_name.sql`, applied in order). */
export const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

/**
 * This package's migrations (the grants table), for the runner of `@herald/runtime/migrations`.
 * `001_file_grants.sql` was `@herald/ingest`'s 004: its `-- herald:moved-from` line lets the
 * runner re-record it on databases migrated before the move.
 *
 * @example
 * await migrate(client, { sources: [INGEST_MIGRATIONS, MIGRATIONS] });
 */
export const MIGRATIONS: MigrationSource = { package: 'files', dir: MIGRATIONS_DIR };
