import { errorReply, httpRoute, json } from '@herald/runtime';
import { type DepsProvider, getDeps } from '../compose.ts';
import { cancelJob } from '../core/cancel-job.ts';

/**
 * Builds `POST /jobs/{id}/cancel`: 200 with the job `cancelled` (it waited for its upload, or
 * was cancelled before), 202 with the job still `processing` while its load is being stopped,
 * 409 `JOB_ALREADY_FINISHED`, 404 for any job but the caller's own.
 */
export function makeHttpCancelJobHandler(
  deps: DepsProvider<'cors' | 'jobs' | 'work' | 'notifier' | 'log' | 'metrics'>,
) {
  return httpRoute(deps, { route: 'POST /jobs/{id}/cancel' }, async ({ caller, path, log }, d) => {
    const result = await cancelJob({ ...d, log }, caller.userId, path.id ?? '');
    if (!result.ok) return errorReply(result.error);
    log.log('info', 'job cancel', { jobId: result.value.job.jobId, status: result.value.status });
    return json(result.value.status, result.value.job);
  });
}

export const handler = makeHttpCancelJobHandler(getDeps);
