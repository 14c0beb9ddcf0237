import { z } from 'zod';
import { ErrorEnvelopeSchema } from './errors.ts';
import { MAX_ROW_ERRORS, RowErrorSchema } from './events.ts';

// REST bodies of workflow 1 (CSV ingest). Requests are strict (a misspelt field is refused, not
// ignored); responses are strict so the server cannot leak a stray field by accident.

const timestamp = z.iso.datetime();
const count = z.int().nonnegative();
const jobId = z.uuid();
// http is allowed because the local stack serves presigned URLs from loopback.
const url = z.url({ protocol: /^https?$/ });

/** Most jobs one `GET /jobs` page returns. */
export const JOB_LIST_MAX_LIMIT = 100;
/** Jobs per page when the request names no `limit`. */
export const JOB_LIST_DEFAULT_LIMIT = 20;
/** Longest accepted upload file name, in characters. */
export const MAX_FILE_NAME_LENGTH = 255;

/**
 * `POST /uploads`. Only types are checked here: the values get specific codes from the server
 * (`UNKNOWN_DATASET`, `INVALID_FILE_NAME`, `EMPTY_FILE`, `FILE_TOO_LARGE`).
 */
export const CreateUploadRequestSchema = z.strictObject({
  /** A dataset name, e.g. `transactions`. */
  dataset: z.string(),
  /** The user's file name: 1–255 characters, no path separators or control characters, ends in `.csv`. */
  fileName: z.string(),
  /** The exact size of the file to upload; the presigned upload accepts only this size. */
  sizeBytes: count,
});

/** A presigned upload: send the file's bytes with `method` to `url`, with exactly `headers`. */
export const PresignedUploadSchema = z.strictObject({
  method: z.literal('PUT'),
  url,
  /** Headers the request must carry (they are part of the signature). */
  headers: z.record(z.string(), z.string()),
  expiresAt: timestamp,
});

/** `201` answer to `POST /uploads`. */
export const CreateUploadResponseSchema = z.strictObject({
  jobId,
  upload: PresignedUploadSchema,
});

/**
 * Where a job is. `awaiting_upload` → `processing` → `succeeded` | `failed`; `queued` is
 * reserved for a job whose upload arrived but is not yet claimed (accepted as a claimable state).
 */
export const JobStateSchema = z.enum(['awaiting_upload', 'queued', 'processing', 'succeeded', 'failed']);

/** One ingest job as `GET /jobs/{id}` and `GET /jobs` show it. */
export const JobViewSchema = z.strictObject({
  jobId,
  dataset: z.string().min(1),
  fileName: z.string().min(1),
  sizeBytes: count,
  state: JobStateSchema,
  rowsLoaded: count,
  rowsRejected: count,
  /** Why the job failed; null unless `state` is `failed`. */
  error: ErrorEnvelopeSchema.nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
  /** When a worker first picked the job up. */
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
});

/** `GET /jobs` answer: the caller's jobs, newest first. */
export const JobListSchema = z.strictObject({
  jobs: z.array(JobViewSchema).max(JOB_LIST_MAX_LIMIT),
  /** Pass as `?cursor=` for the next page; null on the last page. */
  nextCursor: z.string().min(1).nullable(),
});

/** `GET /jobs` query string. Unknown parameters are ignored (cache busters are common). */
export const ListJobsQuerySchema = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.int().min(1).max(JOB_LIST_MAX_LIMIT))
    .optional(),
  cursor: z.string().min(1).max(200).optional(),
});

/** A short-lived presigned GET of the full reject report (a {@link RejectReport} JSON document). */
export const ReportLinkSchema = z.strictObject({
  url,
  expiresAt: timestamp,
  contentType: z.literal('application/json'),
});

/** `GET /jobs/{id}/errors` answer. */
export const JobErrorsSchema = z.strictObject({
  jobId,
  state: JobStateSchema,
  error: ErrorEnvelopeSchema.nullable(),
  rowsRejected: count,
  /** The first refused rows (line, column, excerpt, reason). */
  rowErrors: z.array(RowErrorSchema).max(MAX_ROW_ERRORS),
  /** The full report, when one was written; null otherwise. */
  report: ReportLinkSchema.nullable(),
});

/** One refused row in the reject report: a {@link RowErrorSchema} plus its machine code. */
export const ReportRowErrorSchema = z.strictObject({
  ...RowErrorSchema.shape,
  code: ErrorEnvelopeSchema.shape.code,
});

/** The reject report document the worker stores and `report.url` serves. */
export const RejectReportSchema = z.strictObject({
  jobId,
  dataset: z.string().min(1),
  fileName: z.string().min(1),
  /** The job's error, or null when the job succeeded with skipped rows (`maxRejects`). */
  error: ErrorEnvelopeSchema.nullable(),
  rowsRejected: count,
  rowErrors: z.array(ReportRowErrorSchema),
  createdAt: timestamp,
});

export type CreateUploadRequest = z.infer<typeof CreateUploadRequestSchema>;
export type PresignedUpload = z.infer<typeof PresignedUploadSchema>;
export type CreateUploadResponse = z.infer<typeof CreateUploadResponseSchema>;
export type JobState = z.infer<typeof JobStateSchema>;
export type JobView = z.infer<typeof JobViewSchema>;
export type JobList = z.infer<typeof JobListSchema>;
export type ListJobsQuery = z.infer<typeof ListJobsQuerySchema>;
export type ReportLink = z.infer<typeof ReportLinkSchema>;
export type JobErrors = z.infer<typeof JobErrorsSchema>;
export type ReportRowError = z.infer<typeof ReportRowErrorSchema>;
export type RejectReport = z.infer<typeof RejectReportSchema>;
