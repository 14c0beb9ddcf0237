import { PresignPartsRequestSchema } from '@herald/protocol';
import { httpRoute, resultReply } from '@herald/runtime';
import { getBaseDeps } from '../compose/base.ts';
import type { DepsProvider } from '../compose.ts';
import { presignParts } from '../core/multipart-upload.ts';

/** Builds `POST /uploads/{jobId}/parts {partNumbers}` → 200 `{parts}`: short-lived part URLs (owner only). */
export function makeHttpPresignUploadPartsHandler(
  deps: DepsProvider<'cors' | 'uploads' | 'multipart' | 'clock' | 'log' | 'metrics'>,
) {
  return httpRoute(
    deps,
    { route: 'POST /uploads/{jobId}/parts', body: PresignPartsRequestSchema },
    async ({ caller, path, body }, d) =>
      resultReply(await presignParts(d, caller.userId, path.jobId ?? '', body.partNumbers)),
  );
}

export const handler = makeHttpPresignUploadPartsHandler(getBaseDeps);
