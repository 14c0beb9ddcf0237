/**
 * `@herald/ingest/datasets`: the adopter's datasets — the declaration file
 * (`herald.datasets.json`: schema, checks listing every problem), the DDL a declaration implies,
 * schema evolution (safe and unsafe changes, generated migrations), and inference from a sample.
 */
export { mayUpload, staticDatasetCatalog } from './catalog.ts';
export type { DomainDefinition } from './ddl.ts';
export {
  columnSqlType,
  datasetDomains,
  datasetProblems,
  datasetSchemaSql,
  datasetTableSql,
  isSafeIdentifier,
  JOB_ID_COLUMN,
  JOB_ID_INDEX,
  JOB_ID_SETTING,
} from './ddl.ts';
export {
  COLUMN_TYPE_NAMES,
  columnTypeName,
  type DatasetsFile,
  DatasetsFileSchema,
  type DeclarationResult,
  type DeclaredColumn,
  type DeclaredDataset,
  datasetFromRecord,
  datasetsJsonSchema,
  declaredForm,
  formatDeclared,
  isDatasetName,
  MAX_UPLOAD_BYTES,
  parseDatasetsDeclaration,
} from './declaration.ts';
export {
  appliedDeclarations,
  type DatasetChange,
  declarationDrift,
  declarationSql,
  type MigrationPlan,
  type PlanOptions,
  planMigration,
} from './evolve.ts';
export {
  appliedDatasets,
  checkDeclaredDatasets,
  DATASET_MIGRATIONS_PACKAGE,
  DATASETS_FILE,
  type DatasetMigrationFile,
  datasetMigrationSource,
  datasetMigrationsDir,
  readDatasetMigrations,
  readDatasetsFile,
} from './files.ts';
export type { ColumnDefinition, ColumnType, DatasetDefinition, LoadMode } from './types.ts';
