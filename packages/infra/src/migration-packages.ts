import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Migration, MigrationSource } from '@herald/runtime/migrations';

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

/**
 * SHA-256 over every migration's package, version, name and SQL, in order: what the template's
 * `MigrationsFingerprint` states (so a new or changed file re-runs the migrator) and what the
 * migrator computes over the SQL its bundle carries (so it knows which template it belongs to).
 *
 * @example
 * migrationsFingerprint(loadMigrations(migrationSources(REPO_ROOT, 'repository'))); // '9f2c…' (64 hex digits)
 */
export function migrationsFingerprint(migrations: readonly Migration[]): string {
  const hash = createHash('sha256');
  for (const m of migrations) hash.update(`${m.package}\0${m.version}\0${m.name}\0${m.sql}\0`);
  return hash.digest('hex');
}
