export { MIGRATIONS_DIR, loadMigrations, migrate } from './migrations.ts';
export type { Migration, MigrateOptions } from './migrations.ts';
