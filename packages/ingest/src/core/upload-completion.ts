import { errorEnvelope } from '@herald/protocol';
import { isRetryable, type Logger, parseQueueMessage, type SqsDelivery } from '@herald/runtime';
import * as z from 'zod';
import { MultipartRefusedError } from '../errors.ts';
import type { MultipartStore, MultipartUploadRepository, ObjectStore } from '../ports.ts';

/**
 * The message `POST /uploads/{jobId}/complete` puts on `UploadCompletionQueue` once it checked the
 * parts. It names the job and its owner (every upload read is scoped to the owner); the worker
 * reads the rest (key, upload id, parts) again, so a repeated or late message acts on what is
 * true when it runs.
 *
 * @example
 * const message: UploadCompletionMessage = { v: 1, jobId, userId };
 */
export const UploadCompletionMessageSchema = z.strictObject({
  v: z.literal(1),
  jobId: z.uuid(),
  userId: z.string().min(1).max(128),
});

/**
 * A parsed {@link UploadCompletionMessageSchema} message.
 *
 * @example
 * await completions.enqueue({ v: 1, jobId, userId } satisfies UploadCompletionMessage);
 */
export type UploadCompletionMessage = z.infer<typeof UploadCompletionMessageSchema>;

/**
 * Parses a queue message body; undefined when it is not a completion message (logged and dropped
 * by the worker: retrying cannot fix it).
 *
 * @example
 * const message = parseUploadCompletionMessage(record.body);
 */
export function parseUploadCompletionMessage(body: string): UploadCompletionMessage | undefined {
  return parseQueueMessage(UploadCompletionMessageSchema, body);
}

/**
 * What the completion worker uses (the base deps provide all three).
 *
 * @example
 * const deps: UploadCompletionDeps = { uploads, multipart, objects };
 */
export interface UploadCompletionDeps {
  readonly uploads: MultipartUploadRepository;
  readonly multipart: MultipartStore;
  /** Tells an upload S3 already completed (its object exists) from one that is gone. */
  readonly objects: Pick<ObjectStore, 'size'>;
}

/**
 * The `sqs-complete-upload` worker's use case for one message: lists the parts S3 holds and
 * completes the upload with them (the route checked them against the client's list). The object's
 * S3 event then queues the job, whose worker checks the exact size as for a single PUT.
 *
 * - The job no longer awaits its upload, or S3 no longer knows the upload but its object exists:
 *   a repeated message after a completion, nothing to do.
 * - S3 no longer knows the upload and there is no object (aborted or expired meanwhile), or S3
 *   refuses the parts (a part re-sent since the route checked them): the job fails with that
 *   code, as an abort fails it.
 * - Anything else that may pass on a retry (S3 or database outage, throttling): `retry`, so SQS
 *   delivers the message again, up to the queue's receive count, then dead-letters it; the job then
 *   still awaits its upload and the client may call the route again.
 *
 * @example
 * const { retry } = await completeQueuedUpload(deps, record.body, delivery, log);
 */
export async function completeQueuedUpload(
  deps: UploadCompletionDeps,
  body: string,
  delivery: SqsDelivery,
  log: Logger,
): Promise<{ retry: boolean }> {
  const message = parseUploadCompletionMessage(body);
  if (message === undefined) {
    log.log('warn', 'upload completion message is malformed; dropped');
    return { retry: false };
  }
  const { jobId, userId } = message;
  const jobLog = log.child({ jobId });
  try {
    const upload = await deps.uploads.findForOwner(userId, jobId);
    if (upload === undefined || upload.state !== 'awaiting_upload') {
      jobLog.log('info', 'upload completion not needed', { state: upload?.state ?? 'missing' });
      return { retry: false };
    }
    try {
      const parts = await deps.multipart.listParts(upload.objectKey, upload.uploadId);
      await deps.multipart.complete(
        upload.objectKey,
        upload.uploadId,
        parts.map(({ partNumber, etag }) => ({ partNumber, etag })),
      );
      jobLog.log('info', 'upload completed', { parts: parts.length });
      return { retry: false };
    } catch (error) {
      if (!(error instanceof MultipartRefusedError)) throw error;
      if (error.code === 'UPLOAD_EXPIRED' && (await deps.objects.size(upload.objectKey)) !== undefined) {
        jobLog.log('info', 'upload already completed');
        return { retry: false };
      }
      const failed = await deps.uploads.abandon(userId, jobId, errorEnvelope(error.code));
      jobLog.log('warn', 'upload completion refused; job failed', { code: error.code, failed });
      return { retry: false };
    }
  } catch (error) {
    const retry = isRetryable(error);
    jobLog.log(
      retry ? 'warn' : 'error',
      retry ? 'upload completion failed; will retry' : 'upload completion failed for good',
      {
        receiveCount: delivery.receiveCount,
        error,
      },
    );
    return { retry };
  }
}
