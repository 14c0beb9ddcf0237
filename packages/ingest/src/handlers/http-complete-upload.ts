import { CompleteUploadRequestSchema } from '@herald/protocol';
import { httpRoute, resultReply } from '@herald/runtime';
import { getBaseDeps } from '../compose/base.ts';
import type { DepsProvider } from '../compose.ts';
import { completeUpload } from '../core/multipart-upload.ts';

/** Builds `POST /uploads/{jobId}/complete {parts}` → 200 `{jobId}`: the object assembled (owner only). */
export function makeHttpCompleteUploadHandler(
  deps: DepsProvider<'cors' | 'uploads' | 'multipart' | 'clock' | 'log' | 'metrics'>,
) {
  return httpRoute(
    deps,
    { route: 'POST /uploads/{jobId}/complete', body: CompleteUploadRequestSchema },
    async ({ caller, path, body, log }, d) => {
      const result = await completeUpload(d, caller.userId, path.jobId ?? '', body);
      if (result.ok)
        log.log('info', 'upload completed', { jobId: result.value.jobId, parts: body.parts.length });
      else log.log('info', 'upload completion refused', { code: result.error.code });
      return resultReply(result);
    },
  );
}

export const handler = makeHttpCompleteUploadHandler(getBaseDeps);
