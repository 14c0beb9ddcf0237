import { JobStateSchema } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import {
  CLAIMABLE_STATES,
  canTransition,
  isClaimable,
  isFinished,
  JOB_TRANSITIONS,
} from '../../src/core/job-state.ts';

describe('job state machine', () => {
  it('covers exactly the states the protocol names', () => {
    expect(Object.keys(JOB_TRANSITIONS).sort()).toEqual([...JobStateSchema.options].sort());
  });

  it('lets a worker claim an unfinished job, again after a retry', () => {
    for (const from of ['awaiting_upload', 'queued', 'processing'] as const) {
      expect(canTransition(from, 'processing')).toBe(true);
      expect(isClaimable(from)).toBe(true);
    }
    expect(CLAIMABLE_STATES).not.toContain('succeeded');
  });

  it('treats succeeded and failed as final: nothing leaves them', () => {
    for (const from of ['succeeded', 'failed'] as const) {
      expect(isFinished(from)).toBe(true);
      expect(isClaimable(from)).toBe(false);
      for (const to of JobStateSchema.options) expect(canTransition(from, to)).toBe(false);
    }
  });

  it('reaches succeeded only through processing', () => {
    expect(canTransition('processing', 'succeeded')).toBe(true);
    expect(canTransition('awaiting_upload', 'succeeded')).toBe(false);
    expect(canTransition('queued', 'succeeded')).toBe(false);
  });
});
