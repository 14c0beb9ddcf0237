const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `GET /jobs` cursors: opaque to clients, they name the last job of a page. The repository
 * turns that job into a `(created_at, job_id)` keyset position, so pages neither skip nor repeat
 * jobs when new ones are created between requests.
 *
 * @example
 * decodeJobCursor(encodeJobCursor(jobId)); // jobId
 */
export function encodeJobCursor(jobId: string): string {
  return Buffer.from(`j1:${jobId}`, 'utf8').toString('base64url');
}

/** The job id a cursor names; undefined for anything this server did not make. */
export function decodeJobCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const jobId = text.startsWith('j1:') ? text.slice(3) : '';
  return UUID.test(jobId) ? jobId : undefined;
}
