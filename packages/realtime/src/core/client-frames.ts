import {
  type ClientAction,
  encodeServerFrame,
  errorEnvelope,
  isPerUserView,
  parseClientFrame,
  type ResumeAction,
  type ServerFrame,
  type SubscribeAction,
} from '@herald/protocol';
import { isRetryable } from '@herald/runtime';
import type { JobEventLog } from '../ports.ts';
import { errorFrame, postInOrder, withId } from './frame-replies.ts';
import { planReplay, REPLAY_READ_LIMIT } from './replay.ts';
import {
  MAX_SUBSCRIPTIONS_PER_CONNECTION,
  type SubscriptionTarget,
  subscriptionKey,
} from './subscriptions.ts';
import { resumeTopic, subscribeToTopic, type TopicFramePorts, unsubscribeFromTopic } from './topic-frames.ts';

/** Who sent a client frame. */
export interface ClientContext {
  readonly connectionId: string;
  /** From the `$connect` authorizer's context, which API Gateway attaches to every message. */
  readonly userId: string;
  /** The caller's Cognito groups, from the same context: topic grants name groups. */
  readonly groups: readonly string[];
  /** Epoch milliseconds. */
  readonly now: number;
}

/**
 * What answering client frames needs: the job event log and, for shared topics, the topic
 * tables. Replayed events go to the sender through `@connections` (`poster`), in order, then
 * `resumed`.
 */
export interface ClientFramePorts extends TopicFramePorts {
  readonly eventLog: JobEventLog;
}

/** Ownership of a job as far as realtime can tell: from the job event log (ADR 003). */
async function jobOwnership(
  eventLog: JobEventLog,
  jobId: string,
  userId: string,
  now: number,
): Promise<{ owner: 'caller' | 'other' | 'unknown'; lastSeq: number }> {
  const head = await eventLog.head(jobId, now);
  if (head === undefined) return { owner: 'unknown', lastSeq: -1 };
  return { owner: head.userId === userId ? 'caller' : 'other', lastSeq: head.lastSeq };
}

// The same answer whether the job belongs to someone else or the id is malformed elsewhere:
// realtime never confirms that another user's job exists.
const notYourJob = (jobId: string) => errorEnvelope('NOT_FOUND', `You have no job ${jobId}.`);

async function subscribe(
  action: SubscribeAction,
  ctx: ClientContext,
  ports: ClientFramePorts,
): Promise<ServerFrame | undefined> {
  if ('topic' in action && !isPerUserView(action.topic)) {
    return subscribeToTopic(action.topic, action.id, ctx, ports);
  }
  const target: SubscriptionTarget = 'jobId' in action ? { jobId: action.jobId } : { topic: action.topic };
  if ('jobId' in target) {
    // A job the log does not know yet (no event published so far) is accepted: a client
    // subscribes right after creating it. Delivery is keyed by user, so this cannot leak.
    const { owner } = await jobOwnership(ports.eventLog, target.jobId, ctx.userId, ctx.now);
    if (owner === 'other') return errorFrame(notYourJob(target.jobId), action.id);
  }
  const result = await ports.subscriptions.add(
    ctx.connectionId,
    ctx.userId,
    subscriptionKey(target),
    MAX_SUBSCRIPTIONS_PER_CONNECTION,
  );
  if (result === 'limit-reached') {
    return errorFrame(
      errorEnvelope(
        'CONFLICT',
        `A connection can hold at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions.`,
      ),
      action.id,
    );
  }
  if (result === 'unknown-connection') {
    return errorFrame(
      errorEnvelope('CONFLICT', 'This connection is no longer registered; reconnect.'),
      action.id,
    );
  }
  // Acknowledged only now that the table holds it, so a client that waits for the frame before
  // starting the job's work misses none of its events. `add` is idempotent: a repeated subscribe
  // is acknowledged again. A per-user view gets the same frame, naming the view.
  return withId({ type: 'subscribed' as const, ...target }, action.id);
}

async function resume(
  action: ResumeAction,
  ctx: ClientContext,
  ports: ClientFramePorts,
): Promise<ServerFrame | undefined> {
  const { jobId } = action;
  // The schema gives exactly one of jobId or topic.
  if (jobId === undefined) return resumeTopic(action.topic ?? '', action.afterSeq, action.id, ctx, ports);
  const { owner, lastSeq: headSeq } = await jobOwnership(ports.eventLog, jobId, ctx.userId, ctx.now);
  if (owner === 'other') return errorFrame(notYourJob(jobId), action.id);
  const logged =
    owner === 'unknown'
      ? []
      : await ports.eventLog.readAfter(jobId, action.afterSeq, ctx.now, REPLAY_READ_LIMIT);
  // Defence in depth: never replay an item that is not the caller's.
  const events = logged.filter((item) => item.userId === ctx.userId).map((item) => item.event);
  const lastRead = events.at(-1)?.seq ?? -1;
  // A capped read stops at its last item, so the client resumes again from there.
  const lastSeq = logged.length >= REPLAY_READ_LIMIT ? lastRead : Math.max(headSeq, lastRead);
  const frames = [
    ...planReplay(events).map((event) => encodeServerFrame({ type: 'event', event })),
    encodeServerFrame(withId({ type: 'resumed' as const, jobId: jobId, lastSeq }, action.id)),
  ];
  await postInOrder(ports.poster, ctx.connectionId, frames);
  return undefined;
}

async function dispatch(
  action: ClientAction,
  ctx: ClientContext,
  ports: ClientFramePorts,
): Promise<ServerFrame | undefined> {
  switch (action.action) {
    case 'ping':
      return withId({ type: 'pong' as const, at: new Date(ctx.now).toISOString() }, action.id);
    case 'subscribe':
      return subscribe(action, ctx, ports);
    case 'unsubscribe': {
      if ('topic' in action && !isPerUserView(action.topic)) {
        await unsubscribeFromTopic(action.topic, ctx, ports);
        return undefined;
      }
      const target = 'jobId' in action ? { jobId: action.jobId } : { topic: action.topic };
      await ports.subscriptions.remove(ctx.connectionId, ctx.userId, subscriptionKey(target));
      return undefined;
    }
    case 'resume':
      return resume(action, ctx, ports);
  }
}

/** The answer to one client frame. */
export interface ClientFrameOutcome {
  /** The frame `$default` sends back in its response, if any. */
  readonly reply: ServerFrame | undefined;
  /** The action, when the frame could be parsed (for logs). */
  readonly action?: ClientAction['action'];
  /** What went wrong while serving a valid frame (a table or `@connections` failed), for the log. */
  readonly failure?: unknown;
}

/**
 * Answers one client frame on the `$default` route:
 * - `ping` → `pong` (id echoed, server time);
 * - `subscribe` → `subscribed` (id echoed, naming the job or topic) once the subscription is
 *   stored, also when it already was; `error` `NOT_FOUND` for another user's job or an invalid
 *   topic name, `FORBIDDEN` for a shared topic without a grant, `CONFLICT` past the cap;
 * - `unsubscribe` → nothing;
 * - `resume` → the missed events (of a job, or of a granted shared topic) and then `resumed`,
 *   all posted to the sender in order (nothing is returned); `error` `NOT_FOUND` for another
 *   user's job, `FORBIDDEN` for a topic without a grant;
 * - an unparseable frame → `error` with the protocol's code (`MALFORMED_FRAME`, ...);
 * - a failure of a table or `@connections` → `error` `UPSTREAM_UNAVAILABLE` (retryable) or
 *   `INTERNAL`, with the failure handed back for the log. Never throws.
 *
 * @example
 * const { reply } = await respondToClientFrame('{"action":"ping","id":"1"}', ctx, ports);
 * // reply: { type: 'pong', id: '1', at: '…' }
 */
export async function respondToClientFrame(
  raw: string | Uint8Array,
  ctx: ClientContext,
  ports: ClientFramePorts,
): Promise<ClientFrameOutcome> {
  const parsed = parseClientFrame(raw);
  if (!parsed.ok) return { reply: errorFrame(parsed.error, parsed.id) };
  const { action } = parsed;
  try {
    return { reply: await dispatch(action, ctx, ports), action: action.action };
  } catch (failure) {
    const retryable = isRetryable(failure);
    const code = retryable ? 'UPSTREAM_UNAVAILABLE' : 'INTERNAL';
    return { reply: errorFrame(errorEnvelope(code), action.id), action: action.action, failure };
  }
}
