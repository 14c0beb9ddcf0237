import type { ErrorEnvelope, JobState } from '@herald/protocol';
import type pg from 'pg';
import type { MultipartUploadRecord, MultipartUploadRepository } from '../ports.ts';
import { queryTranslated } from './pg-errors.ts';

interface UploadRow {
  job_id: string;
  user_id: string;
  object_key: string;
  size_bytes: string;
  state: JobState;
  upload_id: string;
  part_size: string;
}

/**
 * The `ingest_multipart_uploads` table beside `ingest_jobs` on PostgreSQL: single statements on
 * the pool, every read scoped to the job's owner.
 *
 * @example
 * const uploads = new PgMultipartUploadRepository({ pool });
 * const upload = await uploads.findForOwner(userId, jobId);
 */
export class PgMultipartUploadRepository implements MultipartUploadRepository {
  readonly #pool: pg.Pool;

  constructor(options: { readonly pool: pg.Pool }) {
    this.#pool = options.pool;
  }

  async attach(
    jobId: string,
    upload: { readonly uploadId: string; readonly partSize: number },
  ): Promise<void> {
    await this.#query(
      'recording a multipart upload',
      'INSERT INTO ingest_multipart_uploads (job_id, upload_id, part_size) VALUES ($1, $2, $3)',
      [jobId, upload.uploadId, upload.partSize],
    );
  }

  async findForOwner(userId: string, jobId: string): Promise<MultipartUploadRecord | undefined> {
    const { rows } = await this.#query<UploadRow>(
      'reading a multipart upload',
      `SELECT j.job_id, j.user_id, j.object_key, j.size_bytes, j.state, u.upload_id, u.part_size
         FROM ingest_jobs j JOIN ingest_multipart_uploads u USING (job_id)
        WHERE j.job_id = $1 AND j.user_id = $2`,
      [jobId, userId],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    // bigint columns arrive as strings; every value here is far below 2^53.
    return {
      jobId: row.job_id,
      userId: row.user_id,
      objectKey: row.object_key,
      sizeBytes: Number(row.size_bytes),
      state: row.state,
      uploadId: row.upload_id,
      partSize: Number(row.part_size),
    };
  }

  async abandon(userId: string, jobId: string, error: ErrorEnvelope): Promise<boolean> {
    const { rowCount } = await this.#query(
      'failing an aborted upload',
      `UPDATE ingest_jobs SET state = 'failed', error = $3, seq_reserved = seq_reserved + 1,
              updated_at = now(), finished_at = now()
        WHERE job_id = $1 AND user_id = $2 AND state = 'awaiting_upload'`,
      [jobId, userId, JSON.stringify(error)],
    );
    return (rowCount ?? 0) > 0;
  }

  #query<R extends pg.QueryResultRow>(
    what: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return queryTranslated<R>(this.#pool, what, text, values);
  }
}
