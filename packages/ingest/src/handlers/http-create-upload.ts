import { CreateUploadRequestSchema } from '@herald/protocol';
import { httpRoute, resultReply } from '@herald/runtime';
import { getBaseDeps } from '../compose/base.ts';
import type { DepsProvider } from '../compose.ts';
import { createUpload } from '../core/create-upload.ts';

/**
 * Builds `POST /uploads {dataset, fileName, sizeBytes}` → 201 `{jobId, upload}`: a job
 * `awaiting_upload` and a presigned PUT of exactly `sizeBytes` bytes of `text/csv`, for callers in
 * one of the dataset's `uploadGroups` (403 `DATASET_NOT_ALLOWED` otherwise).
 */
export function makeHttpCreateUploadHandler(
  deps: DepsProvider<
    | 'cors'
    | 'jobs'
    | 'objects'
    | 'datasets'
    | 'clock'
    | 'newId'
    | 'log'
    | 'metrics'
    | 'multipart'
    | 'uploads'
    | 'multipartThresholdBytes'
  >,
) {
  return httpRoute(
    deps,
    { route: 'POST /uploads', body: CreateUploadRequestSchema },
    async ({ caller, body, log }, d) => {
      const result = await createUpload(d, caller, body);
      if (result.ok) log.log('info', 'upload created', { jobId: result.value.jobId, dataset: body.dataset });
      else log.log('info', 'upload refused', { code: result.error.code });
      return resultReply(result, 201);
    },
  );
}

export const handler = makeHttpCreateUploadHandler(getBaseDeps);
