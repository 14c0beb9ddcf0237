import { join } from 'node:path';
import type { MigrationSource } from '@herald/runtime/migrations';

/**
 * The packages whose SQL migrations the migrator applies, in this order. Each owns its files in
 * `packages/<name>/migrations` (`NNN_name.sql`); the bundle carries them as `migrations/<name>`.
 * `files` (the `file_grants` table) refers to no table of `ingest`, so the order between them is
 * free; it comes second because its one migration was ingest's 004 (the runner re-records that
 * row before anything applies, whatever the order).
 */
export const MIGRATION_PACKAGES = ['ingest', 'files'] as const;

/**
 * The migration sources under a folder holding one `<package>` folder of SQL files per package
 * (the migrator's bundle), or, with `layout: 'repository'`, under the repository root.
 *
 * @example
 * migrationSources(REPO_ROOT, 'repository'); // [{ package: 'ingest', dir: '<repo>/packages/ingest/migrations' }, { package: 'files', … }]
 */
export function migrationSources(
  root: string,
  layout: 'bundle' | 'repository' = 'bundle',
): MigrationSource[] {
  return MIGRATION_PACKAGES.map((name) => ({
    package: name,
    dir: layout === 'bundle' ? join(root, name) : join(root, 'packages', name, 'migrations'),
  }));
}
