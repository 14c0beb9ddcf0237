import type { JobView } from '@herald/protocol';
import type { Logger } from '@herald/runtime';
import { ok, type Result, refuse } from '@herald/runtime';
import type { JobRepository, JobWorkStore, Notifier } from '../ports.ts';
import { notifySafely, terminalEventOf } from './job-events.ts';
import { toJobView } from './job-queries.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface CancelJobDeps {
  readonly jobs: JobRepository;
  /** Records that the owner was told (so a late upload's delivery does not tell them again). */
  readonly work: Pick<JobWorkStore, 'markNotified'>;
  readonly notifier: Notifier;
  readonly log: Logger;
}

/**
 * `POST /jobs/{id}/cancel` by the job's owner:
 * - waiting for its upload → `cancelled` now (200), and its `job.cancelled` event sent;
 * - a worker has it → the cancellation is requested and its running statement ended (202): the
 *   worker rolls back and ends the job `cancelled` with the one `job.cancelled` event;
 * - cancelled already → 200 again (repeating a cancel is harmless);
 * - finished otherwise → 409 `JOB_ALREADY_FINISHED`;
 * - another user's job, or none → 404, as every job route answers.
 *
 * @example
 * const result = await cancelJob(deps, caller.userId, path.id);
 */
export async function cancelJob(
  deps: CancelJobDeps,
  userId: string,
  jobId: string,
): Promise<Result<{ status: 200 | 202; job: JobView }>> {
  if (!UUID.test(jobId)) return refuse('NOT_FOUND', 'There is no such job.');
  const result = await deps.jobs.cancel(userId, jobId.toLowerCase());
  switch (result.kind) {
    case 'missing':
      return refuse('NOT_FOUND', 'There is no such job.');
    case 'finished':
      return refuse(
        'JOB_ALREADY_FINISHED',
        `The job has already ${result.job.state === 'validated' ? 'been validated' : result.job.state}; there is nothing to cancel.`,
      );
    case 'requested':
      return ok({ status: 202, job: toJobView(result.job) });
    case 'already-cancelled':
      return ok({ status: 200, job: toJobView(result.job) });
    case 'cancelled': {
      // Cancelled here, not by a worker: this is the one place its terminal event comes from. If
      // it is lost, a delivery of a late upload sends it again (same seq): at least once.
      if (await notifySafely(deps.notifier, userId, terminalEventOf(result.job), deps.log)) {
        await deps.work.markNotified(result.job.jobId).catch((error: unknown) => {
          deps.log.log('warn', 'notification not recorded', { error });
        });
      }
      return ok({ status: 200, job: toJobView(result.job) });
    }
  }
}
