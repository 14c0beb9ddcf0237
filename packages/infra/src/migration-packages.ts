import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Migration, MigrationSource } from '@herald/runtime/migrations';

/**
 * The migration sources the migrator applies, in this order, each with its folder in the
 * repository; the bundle carries each as `migrations/<package>`. `ingest` and `files` own their
 * SQL in `packages/<name>/migrations`; `datasets` is the adopter's: the migrations
 * `herald datasets migrate` generates from `herald.datasets.json` into `datasets/migrations` (see
 * `@herald/ingest/datasets`). `files` (the `file_grants` table) refers to no table of `ingest`, so
 * the order between them is free; it comes second because its one migration was ingest's 004 (the
 * runner re-records that row before anything applies, whatever the order). `datasets` comes last:
 * its migrations record declarations in `ingest_datasets`, which ingest's 007 creates.
 */
export const MIGRATION_SOURCES = [
  { package: 'ingest', repositoryDir: join('packages', 'ingest', 'migrations') },
  { package: 'files', repositoryDir: join('packages', 'files', 'migrations') },
  { package: 'datasets', repositoryDir: join('datasets', 'migrations') },
] as const;

/** The package names of {@link MIGRATION_SOURCES}, in order. */
export const MIGRATION_PACKAGES = MIGRATION_SOURCES.map((s) => s.package);

/**
 * The migration sources under a folder holding one `<package>` folder of SQL files per package
 * (the migrator's bundle), or, with `layout: 'repository'`, under the repository root.
 *
 * @example
 * migrationSources(REPO_ROOT, 'repository'); // [{ package: 'ingest', dir: '<repo>/packages/ingest/migrations' }, …, { package: 'datasets', dir: '<repo>/datasets/migrations' }]
 */
export function migrationSources(
  root: string,
  layout: 'bundle' | 'repository' = 'bundle',
): MigrationSource[] {
  return MIGRATION_SOURCES.map((source) => ({
    package: source.package,
    dir: layout === 'bundle' ? join(root, source.package) : join(root, source.repositoryDir),
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
