import { UPLOAD_PART_ENDPOINTS } from '@herald/protocol/wire';
import type { HeraldClient } from './client.ts';
import { type AnswerChecksOf, type MultipartRouteName, type RestApi, restApiOf } from './rest.ts';

// `@herald/client-sdk/multipart`: the routes that continue a multipart upload (presign parts,
// list the parts S3 holds, complete, abort) and the uploader that sends a large file in parts,
// resumably; kept out of the core entry (it has a size budget), like `/admin` and `/devices`.

const MULTIPART_CHECKS: AnswerChecksOf<MultipartRouteName> = {
  presignUploadParts: { 200: { parts: 'object' } },
  getUpload: { 200: { jobId: 'string', partSize: 'number', partCount: 'number', parts: 'object' } },
  completeUpload: { 200: { jobId: 'string' } },
  abortUpload: { 204: null },
};

/**
 * The multipart-upload routes (`POST /uploads/{jobId}/parts`, `GET /uploads/{jobId}`,
 * `POST /uploads/{jobId}/complete`, `DELETE /uploads/{jobId}`) as typed calls through a
 * client's token and settings, like `client.rest`.
 *
 * @example
 * import { multipartApi } from '@herald/client-sdk/multipart';
 *
 * const { body: upload } = await multipartApi(client).getUpload({ params: { jobId } });
 */
export function multipartApi(client: HeraldClient): RestApi<MultipartRouteName> {
  return restApiOf(client, MULTIPART_CHECKS, UPLOAD_PART_ENDPOINTS);
}
