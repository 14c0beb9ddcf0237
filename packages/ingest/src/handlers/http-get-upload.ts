import { httpRoute, resultReply } from '@herald/runtime';
import { getBaseDeps } from '../compose/base.ts';
import type { DepsProvider } from '../compose.ts';
import { uploadStatus } from '../core/multipart-upload.ts';

/** Builds `GET /uploads/{jobId}` → 200: the parts S3 holds, to resume (owner only). */
export function makeHttpGetUploadHandler(
  deps: DepsProvider<'cors' | 'uploads' | 'multipart' | 'clock' | 'log' | 'metrics'>,
) {
  return httpRoute(deps, { route: 'GET /uploads/{jobId}' }, async ({ caller, path }, d) =>
    resultReply(await uploadStatus(d, caller.userId, path.jobId ?? '')),
  );
}

export const handler = makeHttpGetUploadHandler(getBaseDeps);
