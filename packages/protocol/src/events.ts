import * as z from 'zod';
import { ErrorEnvelopeSchema } from './errors.ts';

/** Most row errors a `job.failed` event carries; the rest are counted in `rowsRejected`. */
export const MAX_ROW_ERRORS = 100;

// Every event schema is strict: producers validate what they send, so a stray field (a row's
// contents, a token) is refused before it leaves the server rather than leaked to clients.

/** UTC ISO-8601 timestamp as `Date#toISOString` writes it, so timestamps compare as strings. */
const timestamp = z.iso.datetime();
const count = z.int().nonnegative();
const jobId = z.uuid();

/** Fields every event carries. `seq` increases by job (or file request), so a client can resume. */
const base = {
  seq: count,
  at: timestamp,
};

/** A job was created and waits for its upload to be processed. */
export const JobQueuedEventSchema = z
  .strictObject({
    type: z.literal('job.queued'),
    ...base,
    jobId,
    dataset: z.string().min(1).max(128),
  })
  .meta({ description: 'A job was created and waits for its upload.' });

/** Progress of a running job; throttled by the producer to a few per second. */
export const JobProgressEventSchema = z
  .strictObject({
    type: z.literal('job.progress'),
    ...base,
    jobId,
    bytesRead: count,
    bytesTotal: count,
    rowsProcessed: count,
    percent: z.number().min(0).max(100),
    rowsPerSecond: z.number().nonnegative(),
    /** Seconds left at the current rate; null until a rate is known. */
    etaSeconds: z.number().nonnegative().nullable(),
  })
  .meta({ description: 'Progress of a running job; a few per second at most.' });

/** A job loaded its rows and committed. */
export const JobSucceededEventSchema = z
  .strictObject({
    type: z.literal('job.succeeded'),
    ...base,
    jobId,
    rowsLoaded: count,
    rowsRejected: count,
    durationMs: count,
  })
  .meta({ description: 'A job loaded its rows and committed.' });

/**
 * A dry run validated the whole file: `rowsLoaded` rows WOULD load (and `rowsRejected` would be
 * skipped, within the dataset's `maxRejects`), as `job.succeeded` would say. Nothing was loaded.
 */
export const JobValidatedEventSchema = z
  .strictObject({
    type: z.literal('job.validated'),
    ...base,
    jobId,
    /** Rows that would load. */
    rowsLoaded: count,
    rowsRejected: count,
    durationMs: count,
  })
  .meta({ description: 'A dry run validated the whole file: `rowsLoaded` would load; nothing was loaded.' });

/**
 * The owner cancelled the job: nothing of it was loaded. `error` says so (`JOB_CANCELLED`), as
 * `job.failed`'s says why, so a client handles both the same way.
 */
export const JobCancelledEventSchema = z
  .strictObject({
    type: z.literal('job.cancelled'),
    ...base,
    jobId,
    error: ErrorEnvelopeSchema,
  })
  .meta({ description: 'The owner cancelled the job before it finished; nothing was loaded.' });

/** Why one CSV row was refused: 1-based line, the column name when one is to blame, a sentence. */
export const RowErrorSchema = z
  .strictObject({
    line: z.int().positive(),
    column: z.string().min(1).max(128).optional(),
    /** An excerpt of the refused value (at most 80 characters), when showing it helps. */
    value: z.string().max(80).optional(),
    reason: z.string().min(1).max(500),
  })
  .meta({
    description: 'Why one CSV row was refused: 1-based line, the column when one is to blame, a sentence.',
  });

/**
 * A job failed and loaded nothing. `rowErrors` is capped at {@link MAX_ROW_ERRORS} so the event
 * stays well inside the 128 KB WebSocket message quota.
 */
export const JobFailedEventSchema = z
  .strictObject({
    type: z.literal('job.failed'),
    ...base,
    jobId,
    error: ErrorEnvelopeSchema,
    rowErrors: z.array(RowErrorSchema).max(MAX_ROW_ERRORS).optional(),
  })
  .meta({ description: 'A job failed and loaded nothing; `rowErrors` holds the first refused rows.' });

/** A requested file is in S3; `url` is a short-lived presigned GET that expires at `expiresAt`. */
export const FileReadyEventSchema = z
  .strictObject({
    type: z.literal('file.ready'),
    ...base,
    requestId: z.string().min(1).max(128),
    path: z.string().min(1).max(1024),
    // http is allowed because the local stack serves presigned URLs from loopback.
    url: z.url({ protocol: /^https?$/ }),
    expiresAt: timestamp,
    size: count,
    contentType: z.string().min(1).max(255),
    fileName: z.string().min(1).max(255),
  })
  .meta({ description: 'A requested file is ready: `url` is a presigned GET that expires at `expiresAt`.' });

/** Every event of an ingest job, discriminated on `type`. */
export const JobEventSchema = z.discriminatedUnion('type', [
  JobQueuedEventSchema,
  JobProgressEventSchema,
  JobSucceededEventSchema,
  JobFailedEventSchema,
  JobValidatedEventSchema,
  JobCancelledEventSchema,
]);

/** Every event Herald streams to the app, discriminated on `type`. */
export const HeraldEventSchema = z
  .discriminatedUnion('type', [
    JobQueuedEventSchema,
    JobProgressEventSchema,
    JobSucceededEventSchema,
    JobFailedEventSchema,
    JobValidatedEventSchema,
    JobCancelledEventSchema,
    FileReadyEventSchema,
  ])
  .meta({
    description:
      'Every event, by `type`. `seq` increases per job (or file request), so a client can `resume`; ' +
      '`job.succeeded`, `job.failed`, `job.validated`, `job.cancelled` and `file.ready` are terminal.',
  });

export type JobQueuedEvent = z.infer<typeof JobQueuedEventSchema>;
export type JobProgressEvent = z.infer<typeof JobProgressEventSchema>;
export type JobSucceededEvent = z.infer<typeof JobSucceededEventSchema>;
export type JobFailedEvent = z.infer<typeof JobFailedEventSchema>;
export type JobValidatedEvent = z.infer<typeof JobValidatedEventSchema>;
export type JobCancelledEvent = z.infer<typeof JobCancelledEventSchema>;
export type RowError = z.infer<typeof RowErrorSchema>;
export type FileReadyEvent = z.infer<typeof FileReadyEventSchema>;
/** Any ingest job event. */
export type JobEvent = z.infer<typeof JobEventSchema>;
/** Any Herald event. */
export type HeraldEvent = z.infer<typeof HeraldEventSchema>;
/** The `type` tag of a Herald event, e.g. `'job.progress'`. */
export type HeraldEventType = HeraldEvent['type'];
/** Events that end a job or a file request: the only ones worth a push when the user is offline. */
export type TerminalEvent =
  | JobSucceededEvent
  | JobFailedEvent
  | JobValidatedEvent
  | JobCancelledEvent
  | FileReadyEvent;
