import type { JobErrors, JobList, JobView, ListJobsQuery } from '@herald/protocol';
import { JOB_LIST_DEFAULT_LIMIT } from '@herald/protocol';
import type { Clock } from '@herald/runtime';
import { ok, type Result, refuse } from '@herald/runtime';
import type { JobRecord, JobRepository, ObjectStore } from '../ports.ts';
import { decodeJobCursor, encodeJobCursor } from './pagination.ts';

/** Lifetime of a presigned reject-report download. */
export const REPORT_URL_TTL_SECONDS = 5 * 60;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether a path parameter can be a job id (a UUID); any other answers 404 like a missing job.
 *
 * @example
 * if (!isJobId(path.jobId)) return refuse('NOT_FOUND');
 */
export const isJobId = (value: string): boolean => UUID.test(value);

/**
 * A job as the REST API shows it.
 *
 * @example
 * jsonResponse(200, toJobView(record));
 */
export function toJobView(job: JobRecord): JobView {
  return {
    jobId: job.jobId,
    dataset: job.dataset,
    fileName: job.fileName,
    sizeBytes: job.sizeBytes,
    state: job.state,
    dryRun: job.dryRun,
    rowsLoaded: job.rowsLoaded,
    rowsRejected: job.rowsRejected,
    error: job.error,
    createdAt: job.createdAt.toISOString(),
    updatedAt: job.updatedAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
  };
}

// Someone else's job and a job that does not exist answer the same: existence is not revealed.
const notFound = () => refuse<never>('NOT_FOUND', 'There is no such job.');

/** The caller's job, or NOT_FOUND (also for a malformed id or another user's job). */
async function ownJob(jobs: JobRepository, userId: string, jobId: string): Promise<JobRecord | undefined> {
  if (!UUID.test(jobId)) return undefined;
  return jobs.getForOwner(userId, jobId.toLowerCase());
}

/** `GET /jobs/{id}`. */
export async function getJob(
  deps: { jobs: JobRepository },
  userId: string,
  jobId: string,
): Promise<Result<JobView>> {
  const job = await ownJob(deps.jobs, userId, jobId);
  return job === undefined ? notFound() : ok(toJobView(job));
}

/** `GET /jobs`: the caller's jobs, newest first, `limit` per page (default 20, at most 100). */
export async function listJobs(
  deps: { jobs: JobRepository },
  userId: string,
  query: ListJobsQuery,
): Promise<Result<JobList>> {
  let after: string | undefined;
  if (query.cursor !== undefined) {
    after = decodeJobCursor(query.cursor);
    if (after === undefined) return invalidCursor();
  }
  const limit = query.limit ?? JOB_LIST_DEFAULT_LIMIT;
  const page = await deps.jobs.listForOwner(userId, after === undefined ? { limit } : { limit, after });
  if (page === undefined) return invalidCursor();
  const last = page.jobs.at(-1);
  return ok({
    jobs: page.jobs.map(toJobView),
    nextCursor: page.hasMore && last !== undefined ? encodeJobCursor(last.jobId) : null,
  });
}

function invalidCursor() {
  return refuse<never>('VALIDATION_FAILED', 'The cursor is not valid; start again from the first page.', {
    issues: [{ path: 'cursor', message: 'Use the nextCursor of a previous page.' }],
  });
}

/**
 * `GET /jobs/{id}/errors`: the first row errors (from the job row) and, when the worker wrote
 * a full reject report, a presigned GET for it that expires in {@link REPORT_URL_TTL_SECONDS}.
 * A link rather than the report inline: Lambda responses are capped at 6 MB and API Gateway
 * cannot stream, while S3 serves any size.
 */
export async function getJobErrors(
  deps: { jobs: JobRepository; objects: ObjectStore; clock: Clock },
  userId: string,
  jobId: string,
): Promise<Result<JobErrors>> {
  const job = await ownJob(deps.jobs, userId, jobId);
  if (job === undefined) return notFound();
  let report: JobErrors['report'] = null;
  if (job.reportKey !== null) {
    const expiresAt = new Date(deps.clock.now() + REPORT_URL_TTL_SECONDS * 1000);
    const url = await deps.objects.presign({
      method: 'GET',
      key: job.reportKey,
      expiresInSeconds: REPORT_URL_TTL_SECONDS,
      downloadName: `${job.jobId}-errors.json`,
    });
    report = { url, expiresAt: expiresAt.toISOString(), contentType: 'application/json' };
  }
  return ok({
    jobId: job.jobId,
    state: job.state,
    error: job.error,
    rowsRejected: job.rowsRejected,
    rowErrors: [...job.rowErrors],
    report,
  });
}
