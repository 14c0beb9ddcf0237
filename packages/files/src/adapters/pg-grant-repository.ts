import { describePgError, sqlStateOf } from '@herald/runtime/pg';
import type pg from 'pg';
import { DatabaseError } from '../errors.ts';
import type { FileGrantRecord, GrantRepository, NewFileGrant } from '../ports.ts';

/**
 * Options of {@link PgGrantRepository}.
 *
 * @example
 * const options: PgGrantRepositoryOptions = { pool };
 */
export interface PgGrantRepositoryOptions {
  /** The container's pool (built by `compose.ts`). */
  readonly pool: pg.Pool;
}

interface GrantRow {
  grant_id: string;
  path_prefix: string;
  group_name: string;
  created_by: string;
  created_at: Date;
}

const COLUMNS = 'grant_id, path_prefix, group_name, created_by, created_at';
const UNIQUE_VIOLATION = '23505';

/**
 * A `pg` error as this package's {@link DatabaseError} (PostgreSQL's message stays in `cause`).
 * Errors that already say whether they are retryable (the pool's password source's) pass through.
 */
function databaseError(error: unknown, what: string): Error {
  if (error instanceof Error && typeof (error as { retryable?: unknown }).retryable === 'boolean')
    return error;
  const { message, ...fields } = describePgError(error, what);
  return new DatabaseError(message, { cause: error, ...fields });
}

function toRecord(row: GrantRow): FileGrantRecord {
  return {
    id: row.grant_id,
    pathPrefix: row.path_prefix,
    group: row.group_name,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

/**
 * The `file_grants` table (`migrations/001_file_grants.sql`) on PostgreSQL. Single statements on
 * the pool, no session state (RDS Proxy friendly). Grants are few, so a lookup reads every grant whose prefix
 * starts the path (`starts_with`, never `LIKE`: a `_` or `%` in a prefix is a plain character).
 *
 * @example
 * const grants = new PgGrantRepository({ pool });
 * const candidates = await grants.candidatesFor('reports/2026/q3.csv');
 */
export class PgGrantRepository implements GrantRepository {
  readonly #pool: pg.Pool;

  constructor(options: PgGrantRepositoryOptions) {
    this.#pool = options.pool;
  }

  async candidatesFor(path: string): Promise<readonly FileGrantRecord[]> {
    const { rows } = await this.#query(
      'reading file grants',
      `SELECT ${COLUMNS} FROM file_grants WHERE starts_with($1, path_prefix)`,
      [path],
    );
    return rows.map(toRecord);
  }

  async list(): Promise<readonly FileGrantRecord[]> {
    const { rows } = await this.#query(
      'listing file grants',
      `SELECT ${COLUMNS} FROM file_grants ORDER BY path_prefix, group_name`,
      [],
    );
    return rows.map(toRecord);
  }

  async create(grant: NewFileGrant): Promise<FileGrantRecord | undefined> {
    try {
      const { rows } = await this.#pool.query<GrantRow>(
        `INSERT INTO file_grants (grant_id, path_prefix, group_name, created_by)
         VALUES ($1, $2, $3, $4) ON CONFLICT (path_prefix, group_name) DO NOTHING RETURNING ${COLUMNS}`,
        [grant.id, grant.pathPrefix, grant.group, grant.createdBy],
      );
      return rows[0] === undefined ? undefined : toRecord(rows[0]);
    } catch (error) {
      // The same id twice (a retried request reusing it) is a conflict too, not a fault.
      if (sqlStateOf(error) === UNIQUE_VIOLATION) return undefined;
      throw databaseError(error, 'creating a file grant');
    }
  }

  async delete(id: string): Promise<boolean> {
    const { rowCount } = await this.#query(
      'deleting a file grant',
      'DELETE FROM file_grants WHERE grant_id = $1',
      [id],
    );
    return (rowCount ?? 0) > 0;
  }

  async #query(what: string, text: string, values: unknown[]): Promise<pg.QueryResult<GrantRow>> {
    try {
      return await this.#pool.query<GrantRow>(text, values);
    } catch (error) {
      throw databaseError(error, what);
    }
  }
}
