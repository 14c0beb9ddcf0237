import type { JobState } from '@herald/protocol';

/**
 * The job state machine.
 *
 * ```
 * awaiting_upload ─┐
 * queued ──────────┼─▶ processing ─▶ succeeded (validated: a dry run)
 *                  │       │  ▲
 *                  │       └──┘ (a retry or a duplicate delivery claims it again)
 *                  ├───────────────▶ failed
 *                  └───────────────▶ cancelled (by its owner, from any unfinished state)
 * ```
 *
 * `succeeded`, `failed`, `validated` and `cancelled` are final: a late or duplicate S3 event for a
 * finished job changes nothing. `queued` is accepted wherever `awaiting_upload` is; no writer
 * sets it today.
 */
export const JOB_TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  awaiting_upload: ['processing', 'failed', 'cancelled'],
  queued: ['processing', 'failed', 'cancelled'],
  processing: ['processing', 'succeeded', 'validated', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  validated: [],
  cancelled: [],
};

/** States a worker may claim (move to `processing`). */
export const CLAIMABLE_STATES: readonly JobState[] = ['awaiting_upload', 'queued', 'processing'];

/** Final states. */
export const FINISHED_STATES: readonly JobState[] = ['succeeded', 'failed', 'validated', 'cancelled'];

/**
 * Whether a job in `from` may move to `to`.
 *
 * @example
 * canTransition('processing', 'succeeded'); // true
 * canTransition('succeeded', 'processing'); // false
 */
export function canTransition(from: JobState, to: JobState): boolean {
  return JOB_TRANSITIONS[from].includes(to);
}

/** Whether the job is done (`succeeded`, `failed`, `validated` or `cancelled`). */
export function isFinished(state: JobState): boolean {
  return FINISHED_STATES.includes(state);
}

/** Whether a worker may claim the job. */
export function isClaimable(state: JobState): boolean {
  return CLAIMABLE_STATES.includes(state);
}
