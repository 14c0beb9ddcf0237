/**
 * A dataset as Herald runs it: its table, typed columns, key, load mode, limits and who may
 * upload to it. Adopters declare datasets in `herald.datasets.json` at the repository root
 * (parsed by `parseDatasetsDeclaration`); migrations record each declaration in the database,
 * where the upload check and the worker read it. SQL identifiers come only from declarations,
 * never from user input.
 */

export type ColumnType =
  | { readonly kind: 'text'; readonly maxLength?: number }
  | { readonly kind: 'integer' }
  | { readonly kind: 'bigint' }
  | { readonly kind: 'numeric'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'date' }
  | { readonly kind: 'timestamptz' }
  | { readonly kind: 'uuid' };

export interface ColumnDefinition {
  /** Column name in the table and in the CSV header (matched case- and space-insensitively). */
  readonly name: string;
  readonly type: ColumnType;
  readonly required: boolean;
  /** Other header names a CSV may use for this column (matched like the name). */
  readonly aliases?: readonly string[];
}

/** `append` adds rows; `replace` swaps the table's contents atomically; `upsert` inserts or updates on `key`. */
export type LoadMode = 'append' | 'replace' | 'upsert';

export interface DatasetDefinition {
  /** Public name clients use (`POST /uploads {dataset}`). */
  readonly name: string;
  /** Target table (a checked identifier from the declaration). */
  readonly table: string;
  readonly columns: readonly ColumnDefinition[];
  /** Key columns: the conflict target for `upsert`; duplicates inside one upsert file are refused. */
  readonly key: readonly string[];
  readonly mode: LoadMode;
  /** Rows that may be refused (and skipped) before the whole job fails. Default 0. */
  readonly maxRejects: number;
  /** Largest accepted upload, in bytes. */
  readonly maxFileBytes: number;
  /**
   * Cognito groups whose members may upload to this dataset; `*` means every signed-in user.
   * Deny by default: an empty list lets nobody upload.
   */
  readonly uploadGroups: readonly string[];
}
