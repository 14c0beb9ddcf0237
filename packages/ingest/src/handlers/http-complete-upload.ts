import { CompleteUploadRequestSchema } from '@herald/protocol';
import { httpRoute, resultReply } from '@herald/runtime';
import { type CompletionRouteDeps, getCompletionRouteDeps } from '../compose/completions.ts';
import { completeUpload } from '../core/multipart-upload.ts';

/**
 * Builds `POST /uploads/{jobId}/complete {parts}` → 200 `{jobId}`: the parts checked against S3's
 * and the completion queued for `sqs-complete-upload` (owner only).
 */
export function makeHttpCompleteUploadHandler(
  deps: () => Pick<
    CompletionRouteDeps,
    'cors' | 'uploads' | 'multipart' | 'objects' | 'completions' | 'clock' | 'log' | 'metrics'
  >,
) {
  return httpRoute(
    deps,
    { route: 'POST /uploads/{jobId}/complete', body: CompleteUploadRequestSchema },
    async ({ caller, path, body, log }, d) => {
      const result = await completeUpload(d, caller.userId, path.jobId ?? '', body);
      if (result.ok)
        log.log('info', 'upload completion queued', { jobId: result.value.jobId, parts: body.parts.length });
      else log.log('info', 'upload completion refused', { code: result.error.code });
      return resultReply(result);
    },
  );
}

export const handler = makeHttpCompleteUploadHandler(getCompletionRouteDeps);
