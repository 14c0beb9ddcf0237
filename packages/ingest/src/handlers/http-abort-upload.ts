import { errorReply, httpRoute, noContent } from '@herald/runtime';
import { getBaseDeps } from '../compose/base.ts';
import type { DepsProvider } from '../compose.ts';
import { abortUpload } from '../core/multipart-upload.ts';

/** Builds `DELETE /uploads/{jobId}` → 204: parts discarded, job failed with `UPLOAD_ABORTED` (owner only). */
export function makeHttpAbortUploadHandler(
  deps: DepsProvider<'cors' | 'uploads' | 'multipart' | 'clock' | 'log' | 'metrics'>,
) {
  return httpRoute(deps, { route: 'DELETE /uploads/{jobId}' }, async ({ caller, path, log }, d) => {
    const result = await abortUpload(d, caller.userId, path.jobId ?? '');
    if (result.ok) log.log('info', 'upload aborted', { jobId: path.jobId });
    return result.ok ? noContent() : errorReply(result.error);
  });
}

export const handler = makeHttpAbortUploadHandler(getBaseDeps);
