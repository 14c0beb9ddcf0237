export type { MigrateOptions, Migration } from './migrations.ts';
export { loadMigrations, MIGRATIONS_DIR, migrate } from './migrations.ts';
