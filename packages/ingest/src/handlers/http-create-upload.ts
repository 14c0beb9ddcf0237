import { CreateUploadRequestSchema } from '@herald/protocol';
import { type DepsProvider, getDeps } from '../compose.ts';
import { createUpload } from '../core/create-upload.ts';
import {
  errorResponse,
  type HttpResponse,
  handleHttp,
  type IngestHttpEvent,
  parseJsonBody,
  resultResponse,
} from './shared/http.ts';

/**
 * Builds `POST /uploads {dataset, fileName, sizeBytes}` → 201 `{jobId, upload}`: a job
 * `awaiting_upload` and a presigned PUT of exactly `sizeBytes` bytes of `text/csv`.
 */
export function makeHttpCreateUploadHandler(
  deps: DepsProvider<'jobs' | 'objects' | 'datasets' | 'clock' | 'newId' | 'log'>,
) {
  return async (event: IngestHttpEvent): Promise<HttpResponse> => {
    const d = deps();
    return handleHttp(event, d.log, 'POST /uploads', async (userId, log) => {
      const request = parseJsonBody(event, CreateUploadRequestSchema);
      if (!request.ok) return errorResponse(request.error);
      const result = await createUpload(d, userId, request.value);
      if (result.ok)
        log.log('info', 'upload created', { jobId: result.value.jobId, dataset: request.value.dataset });
      else log.log('info', 'upload refused', { code: result.error.code });
      return resultResponse(result, 201);
    });
  };
}

export const handler = makeHttpCreateUploadHandler(getDeps);
