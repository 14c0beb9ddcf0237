import * as z from 'zod';
import { ErrorEnvelopeSchema } from './errors.ts';
import { MAX_ROW_ERRORS, RowErrorSchema } from './events.ts';
import { MultipartUploadSchema } from './rest-multipart.ts';

// REST bodies of workflows 1 (CSV ingest) and 2 (file delivery). Requests are strict (a misspelt field is refused, not
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

/** `GET /me`: the signed-in user, from the Cognito claims. */
export const CurrentUserSchema = z
  .strictObject({
    /** The Cognito `sub`: the stable user id every resource is owned by. */
    userId: z.string().min(1),
    username: z.string(),
    /** Cognito groups, e.g. `analysts`, `admins`. */
    groups: z.array(z.string()),
  })
  .meta({ description: 'The signed-in user (`GET /me`).' });
export type CurrentUser = z.infer<typeof CurrentUserSchema>;

/**
 * `POST /uploads`. Only types are checked here: the values get specific codes from the server
 * (`UNKNOWN_DATASET`, `INVALID_FILE_NAME`, `EMPTY_FILE`, `FILE_TOO_LARGE`).
 */
export const CreateUploadRequestSchema = z
  .strictObject({
    /** A dataset name, e.g. `transactions`. */
    dataset: z.string(),
    /** The user's file name: 1–255 characters, no path separators or control characters, ends in `.csv`. */
    fileName: z.string(),
    /** The exact size of the file to upload; the presigned upload accepts only this size. */
    sizeBytes: count,
    /**
     * Validate the whole file exactly as a load would (same codes, lines, columns, reject report)
     * and load nothing: the job ends `validated` or `failed`. Default false.
     */
    dryRun: z.boolean().optional(),
  })
  .meta({ description: '`POST /uploads` body.' });

/** A presigned upload: send the file's bytes with `method` to `url`, with exactly `headers`. */
export const PresignedUploadSchema = z
  .strictObject({
    method: z.literal('PUT'),
    url,
    /** Headers the request must carry (they are part of the signature). */
    headers: z.record(z.string(), z.string()),
    expiresAt: timestamp,
  })
  .meta({
    description: 'Send the file’s bytes with `method` to `url`, with exactly `headers`, before `expiresAt`.',
  });

/** `201` answer to `POST /uploads`. */
export const CreateUploadResponseSchema = z
  .strictObject({
    jobId,
    /** A single PUT, or (at or above the server's multipart threshold) a multipart upload. */
    upload: z.discriminatedUnion('method', [PresignedUploadSchema, MultipartUploadSchema]),
  })
  .meta({ description: '`201` answer to `POST /uploads`.' });

/** `201` answer to `POST /uploads` for a file below the multipart threshold: one presigned PUT. */
export const SinglePutUploadResponseSchema = CreateUploadResponseSchema.extend({
  upload: PresignedUploadSchema,
});

/**
 * Where a job is. `awaiting_upload` → `processing` → `succeeded` | `failed` (a dry run:
 * `validated` | `failed`); `cancelled` by its owner before it finished. `queued` is reserved for
 * a job whose upload arrived but is not yet claimed (accepted as a claimable state).
 */
export const JobStateSchema = z
  .enum(['awaiting_upload', 'queued', 'processing', 'succeeded', 'failed', 'validated', 'cancelled'])
  .meta({
    description:
      '`awaiting_upload` → `processing` → `succeeded` | `failed` (a dry run: `validated` | `failed`); ' +
      '`cancelled` by its owner before it finished; `queued` is reserved.',
  });

/** One ingest job as `GET /jobs/{id}` and `GET /jobs` show it. */
export const JobViewSchema = z
  .strictObject({
    jobId,
    dataset: z.string().min(1),
    fileName: z.string().min(1),
    sizeBytes: count,
    state: JobStateSchema,
    /** A dry run: validated, nothing loaded. */
    dryRun: z.boolean(),
    /** Rows loaded; for a dry run, the rows that would load. */
    rowsLoaded: count,
    rowsRejected: count,
    /** Why the job failed (or that it was cancelled: `JOB_CANCELLED`); null unless `state` is `failed` or `cancelled`. */
    error: ErrorEnvelopeSchema.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
    /** When a worker first picked the job up. */
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
  })
  .meta({ description: 'One ingest job.' });

/** `GET /jobs` answer: the caller's jobs, newest first. */
export const JobListSchema = z
  .strictObject({
    jobs: z.array(JobViewSchema).max(JOB_LIST_MAX_LIMIT),
    /** Pass as `?cursor=` for the next page; null on the last page. */
    nextCursor: z.string().min(1).nullable(),
  })
  .meta({ description: 'One page of the caller’s jobs, newest first.' });

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
export const ReportLinkSchema = z
  .strictObject({
    url,
    expiresAt: timestamp,
    contentType: z.literal('application/json'),
  })
  .meta({
    description: 'A short-lived presigned GET of the full reject report (a `RejectReport` document).',
  });

/** `GET /jobs/{id}/errors` answer. */
export const JobErrorsSchema = z
  .strictObject({
    jobId,
    state: JobStateSchema,
    error: ErrorEnvelopeSchema.nullable(),
    rowsRejected: count,
    /** The first refused rows (line, column, excerpt, reason). */
    rowErrors: z.array(RowErrorSchema).max(MAX_ROW_ERRORS),
    /** The full report, when one was written; null otherwise. */
    report: ReportLinkSchema.nullable(),
  })
  .meta({ description: '`GET /jobs/{id}/errors` answer.' });

/** One refused row in the reject report: a {@link RowErrorSchema} plus its machine code. */
export const ReportRowErrorSchema = z.strictObject({
  ...RowErrorSchema.shape,
  code: ErrorEnvelopeSchema.shape.code,
});

/** The reject report document the worker stores and `report.url` serves. */
export const RejectReportSchema = z
  .strictObject({
    jobId,
    dataset: z.string().min(1),
    fileName: z.string().min(1),
    /** The job's error, or null when the job succeeded with skipped rows (`maxRejects`). */
    error: ErrorEnvelopeSchema.nullable(),
    rowsRejected: count,
    rowErrors: z.array(ReportRowErrorSchema),
    createdAt: timestamp,
  })
  .meta({ description: 'The reject report document `ReportLink.url` serves.' });

// REST bodies of workflow 2 (file delivery).

/**
 * Longest accepted file path, in UTF-8 bytes. The path becomes the S3 key `files/<path>`, and
 * S3 keys are at most 1024 bytes.
 */
export const MAX_FILE_PATH_BYTES = 1000;

/**
 * `POST /files/links`. Only types are checked here: the path gets specific codes from the
 * server (`INVALID_PATH`, `PATH_NOT_ALLOWED`, `FILE_NOT_FOUND`, …).
 */
export const CreateFileLinkRequestSchema = z
  .strictObject({
    /**
     * The file's path on the file server, relative and plain (not URL-encoded), e.g.
     * `reports/2026/q3-summary.csv`. `..`, `.`, empty segments, backslashes, percent-escapes and
     * control characters are refused.
     */
    path: z.string(),
    /**
     * How long the caller will wait for the link, in milliseconds. The server waits at most its own
     * budget (20 s by default) and answers `202 {requestId}` when the fetch takes longer; `0` always
     * answers 202 (the link then arrives only as a `file.ready` event).
     */
    waitMs: z.int().min(0).max(60_000).optional(),
  })
  .meta({ description: '`POST /files/links` body.' });

/**
 * `200` answer to `POST /files/links`: a presigned GET of the file (it expires at `expiresAt`,
 * minutes from now; the download is named `fileName`). The same link also arrives as a
 * `file.ready` event with the same `requestId`.
 */
export const FileLinkSchema = z
  .strictObject({
    requestId: z.uuid(),
    url,
    expiresAt: timestamp,
    size: count,
    contentType: z.string().min(1).max(255),
    fileName: z.string().min(1).max(255),
  })
  .meta({
    description:
      'A presigned GET of the file; it also arrives as a `file.ready` event with the same `requestId`.',
  });

/** `202` answer to `POST /files/links`: the fetch continues; the link arrives as `file.ready` with this `requestId`. */
export const FileLinkPendingSchema = z
  .strictObject({
    requestId: z.uuid(),
  })
  .meta({
    description: 'The fetch continues; the link arrives as a `file.ready` event with this `requestId`.',
  });

/**
 * One grant: members of `group` may fetch paths under `pathPrefix` (a folder ending in `/`, or
 * one exact file). `group` `*` means every signed-in user.
 */
export const FileGrantSchema = z
  .strictObject({
    id: z.uuid(),
    pathPrefix: z.string().min(1).max(MAX_FILE_PATH_BYTES),
    group: z.string().min(1).max(128),
    createdBy: z.string().min(1).max(128),
    createdAt: timestamp,
  })
  .meta({
    description: 'Members of `group` may fetch paths under `pathPrefix`; group `*` is every signed-in user.',
  });

/** `POST /admin/grants` (admins only). Values are checked by the server (`INVALID_PATH`, `VALIDATION_FAILED`). */
export const CreateFileGrantRequestSchema = z
  .strictObject({
    pathPrefix: z.string(),
    group: z.string(),
  })
  .meta({ description: '`POST /admin/grants` body.' });

/** `GET /admin/grants` answer: every grant, ordered by path prefix then group. */
export const FileGrantListSchema = z
  .strictObject({
    grants: z.array(FileGrantSchema),
  })
  .meta({ description: 'Every grant, by path prefix then group.' });

export type CreateFileLinkRequest = z.infer<typeof CreateFileLinkRequestSchema>;
export type FileLink = z.infer<typeof FileLinkSchema>;
export type FileLinkPending = z.infer<typeof FileLinkPendingSchema>;
export type FileGrant = z.infer<typeof FileGrantSchema>;
export type CreateFileGrantRequest = z.infer<typeof CreateFileGrantRequestSchema>;
export type FileGrantList = z.infer<typeof FileGrantListSchema>;
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
