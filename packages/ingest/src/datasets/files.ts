import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { MigrationSource } from '@herald/runtime/migrations';
import { DatasetDeclarationError } from '../errors.ts';
import { datasetFromRecord, parseDatasetsDeclaration } from './declaration.ts';
import { appliedDeclarations, declarationDrift } from './evolve.ts';
import type { DatasetDefinition } from './types.ts';

/**
 * Where an adopter's datasets live on disk: `herald.datasets.json` at the repository root and,
 * next to it, `datasets/migrations/NNN_name.sql` — the generated migrations, committed and
 * reviewed like code, applied after `@herald/ingest`'s and `@herald/files`' own (their
 * `package` in `schema_migrations` is `datasets`).
 */

/** The declaration file's name, at the repository root. */
export const DATASETS_FILE = 'herald.datasets.json';

/** How dataset migrations are recorded in `schema_migrations`. */
export const DATASET_MIGRATIONS_PACKAGE = 'datasets';

const MIGRATION_FILE = /^(\d{3})_[a-z0-9_]+\.sql$/;

/**
 * The folder of generated dataset migrations that belongs to a declaration file.
 *
 * @example
 * datasetMigrationsDir('/repo/herald.datasets.json'); // '/repo/datasets/migrations'
 */
export function datasetMigrationsDir(declarationFile: string): string {
  return join(dirname(declarationFile), 'datasets', 'migrations');
}

/**
 * The dataset migrations as a source for `migrate()` of `@herald/runtime/migrations`.
 *
 * @example
 * await migrate(client, { sources: [MIGRATIONS, FILES_MIGRATIONS, datasetMigrationSource(file)] });
 */
export function datasetMigrationSource(declarationFile: string): MigrationSource {
  return { package: DATASET_MIGRATIONS_PACKAGE, dir: datasetMigrationsDir(declarationFile) };
}

/**
 * Reads and checks a declaration file; throws a {@link DatasetDeclarationError} listing every
 * problem (a file that is not JSON is one problem).
 *
 * @example
 * const datasets = readDatasetsFile(join(REPO_ROOT, DATASETS_FILE));
 */
export function readDatasetsFile(file: string): DatasetDefinition[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new DatasetDeclarationError(file, [`cannot be read: ${(error as Error).message}`], {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DatasetDeclarationError(file, [`is not valid JSON: ${(error as Error).message}`], {
      cause: error,
    });
  }
  const result = parseDatasetsDeclaration(json);
  if (!result.ok) throw new DatasetDeclarationError(file, result.problems);
  return [...result.datasets];
}

/** One committed dataset migration. */
export interface DatasetMigrationFile {
  readonly version: number;
  /** `NNN_name.sql`. */
  readonly file: string;
  readonly sql: string;
}

/**
 * The dataset migrations in a folder, in version order (none when the folder does not exist).
 *
 * @example
 * const files = readDatasetMigrations(datasetMigrationsDir(file));
 */
export function readDatasetMigrations(dir: string): DatasetMigrationFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => MIGRATION_FILE.test(f))
    .sort()
    .map((file) => ({ version: Number(file.slice(0, 3)), file, sql: readFileSync(join(dir, file), 'utf8') }));
}

/**
 * The declarations the committed migrations record (what the database holds once they are
 * applied); throws a {@link DatasetDeclarationError} when a recorded one is not sound.
 *
 * @example
 * const applied = appliedDatasets(datasetMigrationsDir(file));
 */
export function appliedDatasets(dir: string): DatasetDefinition[] {
  const { datasets, problems } = appliedDeclarations(readDatasetMigrations(dir), datasetFromRecord);
  if (problems.length > 0) throw new DatasetDeclarationError(dir, problems);
  return [...datasets];
}

/**
 * Checks what a deploy (or `npm run dev`) is about to run: the declaration file is sound AND its
 * committed migrations bring the database to exactly these declarations. Throws one
 * {@link DatasetDeclarationError} listing every problem otherwise; returns the datasets.
 *
 * @example
 * checkDeclaredDatasets(join(REPO_ROOT, DATASETS_FILE)); // in the CDK app, before anything is built
 */
export function checkDeclaredDatasets(declarationFile: string): DatasetDefinition[] {
  const declared = readDatasetsFile(declarationFile);
  const dir = datasetMigrationsDir(declarationFile);
  const drift = declarationDrift(appliedDatasets(dir), declared);
  if (drift.length > 0) {
    const where = relative(dirname(declarationFile), dir) || dir;
    throw new DatasetDeclarationError(declarationFile, [
      ...drift,
      `no committed migration in ${where} brings the database to these declarations: run \`pnpm herald datasets plan\`, ` +
        'then `pnpm herald datasets migrate`, and commit the migration it writes',
    ]);
  }
  return declared;
}
