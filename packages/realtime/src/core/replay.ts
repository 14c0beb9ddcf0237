import { isTerminalEvent, type JobEvent } from '@herald/protocol';

/** Most log items one `resume` reads; the `resumed` frame's `lastSeq` tells the client where it stopped. */
export const REPLAY_READ_LIMIT = 1000;

/**
 * The events to replay for a `resume`, from the log's events after the client's cursor (in
 * `seq` order). Every event is replayed except progress that later events make stale: a
 * progress event is a snapshot, so only the newest one counts, and only while no terminal event
 * follows it. A client that was away for a long job gets a handful of frames, not thousands
 * (each is one PostToConnection call). `seq` gaps this leaves are expected: the protocol
 * promises increasing `seq`, not consecutive.
 *
 * @example
 * planReplay([queued0, progress1, progress2, succeeded3]); // [queued0, succeeded3]
 * planReplay([queued0, progress1, progress2]);             // [queued0, progress2]
 */
export function planReplay(events: readonly JobEvent[]): JobEvent[] {
  let lastProgress = -1;
  let lastTerminal = -1;
  events.forEach((event, index) => {
    if (event.type === 'job.progress') lastProgress = index;
    else if (isTerminalEvent(event)) lastTerminal = index;
  });
  return events.filter((event, index) => {
    if (event.type !== 'job.progress') return true;
    return index === lastProgress && lastTerminal < lastProgress;
  });
}
