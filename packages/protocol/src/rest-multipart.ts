import * as z from 'zod';
import { MULTIPART_LIMITS } from './limits.ts';

// REST bodies of multipart uploads: `POST /uploads` answers one for a file at or above the
// server's multipart threshold, and the `/uploads/{jobId}` routes presign more parts, list what
// S3 holds (to resume), complete and abort. Requests are strict, like every Herald body.

const timestamp = z.iso.datetime();
// http is allowed because the local stack serves presigned URLs from loopback.
const url = z.url({ protocol: /^https?$/ });
const partNumber = z.int().min(1).max(MULTIPART_LIMITS.maxParts);
/** S3's ETag of a part: its quoted MD5 (quotes optional on input, as S3 accepts both). */
const etag = z.string().min(1).max(128);

/** One presigned part: send exactly `sizeBytes` bytes of the file with PUT to `url`. */
export const PresignedPartSchema = z
  .strictObject({
    partNumber,
    url,
    /** The part's exact length (signed: S3 refuses another). */
    sizeBytes: z.int().positive(),
    expiresAt: timestamp,
  })
  .meta({
    description: 'PUT exactly `sizeBytes` bytes to `url` before `expiresAt`; keep the `ETag` answer header.',
  });

/**
 * The multipart upload `POST /uploads` answers above the threshold: part `n` (1-based) holds the
 * file's bytes `[(n - 1) * partSize, min(n * partSize, sizeBytes))`. `parts` presigns the first
 * ones; `POST /uploads/{jobId}/parts` presigns the rest.
 */
export const MultipartUploadSchema = z
  .strictObject({
    method: z.literal('MULTIPART'),
    /** S3's upload id (informational: every route addresses the upload by its job id). */
    uploadId: z.string().min(1),
    partSize: z.int().min(MULTIPART_LIMITS.minPartBytes).max(MULTIPART_LIMITS.maxPartBytes),
    partCount: z.int().min(1).max(MULTIPART_LIMITS.maxParts),
    parts: z.array(PresignedPartSchema).max(MULTIPART_LIMITS.maxPartsPerPresign),
  })
  .meta({
    description:
      'Upload the file in `partCount` parts of `partSize` bytes (the last one shorter), then `POST /uploads/{jobId}/complete`.',
  });

/** `POST /uploads/{jobId}/parts` body. */
export const PresignPartsRequestSchema = z
  .strictObject({
    partNumbers: z.array(partNumber).min(1).max(MULTIPART_LIMITS.maxPartsPerPresign),
  })
  .meta({ description: '`POST /uploads/{jobId}/parts` body: the parts to presign.' });

/** `POST /uploads/{jobId}/parts` answer. */
export const PresignedPartsSchema = z
  .strictObject({ parts: z.array(PresignedPartSchema).max(MULTIPART_LIMITS.maxPartsPerPresign) })
  .meta({ description: 'Presigned parts, in the order asked.' });

/** One part S3 holds. */
export const UploadedPartSchema = z
  .strictObject({ partNumber, etag, sizeBytes: z.int().nonnegative() })
  .meta({ description: 'A part S3 holds: its number, ETag and size.' });

/** `GET /uploads/{jobId}` answer: the upload's shape and every part S3 already holds. */
export const UploadStatusSchema = z
  .strictObject({
    jobId: z.uuid(),
    uploadId: z.string().min(1),
    sizeBytes: z.int().positive(),
    partSize: z.int().min(MULTIPART_LIMITS.minPartBytes).max(MULTIPART_LIMITS.maxPartBytes),
    partCount: z.int().min(1).max(MULTIPART_LIMITS.maxParts),
    /** By part number; a resuming client uploads the others. */
    parts: z.array(UploadedPartSchema).max(MULTIPART_LIMITS.maxParts),
  })
  .meta({ description: '`GET /uploads/{jobId}` answer: the parts S3 holds (S3 `ListParts`), to resume.' });

/** `POST /uploads/{jobId}/complete` body. */
export const CompleteUploadRequestSchema = z
  .strictObject({
    parts: z.array(z.strictObject({ partNumber, etag })).min(1).max(MULTIPART_LIMITS.maxParts),
  })
  .meta({ description: '`POST /uploads/{jobId}/complete` body: every part, ascending, with its ETag.' });

/** `POST /uploads/{jobId}/complete` answer. */
export const CompletedUploadSchema = z.strictObject({ jobId: z.uuid() }).meta({
  description: 'The parts are checked and their assembly queued; the job proceeds as `job.*` events.',
});

export type PresignedPart = z.infer<typeof PresignedPartSchema>;
export type MultipartUpload = z.infer<typeof MultipartUploadSchema>;
export type PresignPartsRequest = z.infer<typeof PresignPartsRequestSchema>;
export type PresignedParts = z.infer<typeof PresignedPartsSchema>;
export type UploadedPart = z.infer<typeof UploadedPartSchema>;
export type UploadStatus = z.infer<typeof UploadStatusSchema>;
export type CompleteUploadRequest = z.infer<typeof CompleteUploadRequestSchema>;
export type CompletedUpload = z.infer<typeof CompletedUploadSchema>;
