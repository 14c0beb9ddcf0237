import {
  type ClientAction,
  type ErrorEnvelope,
  encodeServerFrame,
  errorEnvelope,
  parseClientFrame,
  type ResumeAction,
  type ServerFrame,
  type SubscribeAction,
} from '@herald/protocol';
import { isRetryable } from '@herald/runtime';
import { ConnectionGoneError } from '../errors.ts';
import type { ConnectionPoster, JobEventLog, SubscriptionStore } from '../ports.ts';
import { planReplay, REPLAY_READ_LIMIT } from './replay.ts';
import {
  isKnownTopic,
  MAX_SUBSCRIPTIONS_PER_CONNECTION,
  type SubscriptionTarget,
  subscriptionKey,
  TOPICS,
} from './subscriptions.ts';

/** Who sent a client frame. */
export interface ClientContext {
  readonly connectionId: string;
  /** From the `$connect` authorizer's context, which API Gateway attaches to every message. */
  readonly userId: string;
  /** Epoch milliseconds. */
  readonly now: number;
}

/** What answering client frames needs. */
export interface ClientFramePorts {
  readonly subscriptions: SubscriptionStore;
  readonly eventLog: JobEventLog;
  /** Replayed events go to the sender through `@connections`, in order, then `resumed`. */
  readonly poster: ConnectionPoster;
}

function errorFrame(error: ErrorEnvelope, id: string | undefined): ServerFrame {
  return id === undefined ? { type: 'error', error } : { type: 'error', id, error };
}

function withId<T extends object>(frame: T, id: string | undefined): T & { id?: string } {
  return id === undefined ? frame : { ...frame, id };
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
  const target: SubscriptionTarget = 'jobId' in action ? { jobId: action.jobId } : { topic: action.topic };
  if ('topic' in target && !isKnownTopic(target.topic)) {
    const known = Object.keys(TOPICS).join(', ');
    return errorFrame(errorEnvelope('NOT_FOUND', `Unknown topic; known topics: ${known}.`), action.id);
  }
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
  // is acknowledged again. Topic subscriptions stay silent until topics are acknowledged too.
  return 'jobId' in target
    ? withId({ type: 'subscribed' as const, jobId: target.jobId }, action.id)
    : undefined;
}

async function resume(
  action: ResumeAction,
  ctx: ClientContext,
  ports: ClientFramePorts,
): Promise<ServerFrame | undefined> {
  const { owner, lastSeq: headSeq } = await jobOwnership(ports.eventLog, action.jobId, ctx.userId, ctx.now);
  if (owner === 'other') return errorFrame(notYourJob(action.jobId), action.id);
  const logged =
    owner === 'unknown'
      ? []
      : await ports.eventLog.readAfter(action.jobId, action.afterSeq, ctx.now, REPLAY_READ_LIMIT);
  // Defence in depth: never replay an item that is not the caller's.
  const events = logged.filter((item) => item.userId === ctx.userId).map((item) => item.event);
  const lastRead = events.at(-1)?.seq ?? -1;
  // A capped read stops at its last item, so the client resumes again from there.
  const lastSeq = logged.length >= REPLAY_READ_LIMIT ? lastRead : Math.max(headSeq, lastRead);
  const frames = [
    ...planReplay(events).map((event) => encodeServerFrame({ type: 'event', event })),
    encodeServerFrame(withId({ type: 'resumed' as const, jobId: action.jobId, lastSeq }, action.id)),
  ];
  try {
    // One at a time: PostToConnection order is delivery order only if each call completes first.
    for (const frame of frames) await ports.poster.post(ctx.connectionId, frame);
  } catch (error) {
    if (error instanceof ConnectionGoneError) return undefined;
    throw error;
  }
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
 * - `subscribe` → `subscribed` (id echoed) once a job subscription is stored, also when it
 *   already was; nothing for a topic; `error` `NOT_FOUND` for another user's job or an unknown
 *   topic, `CONFLICT` past the cap;
 * - `unsubscribe` → nothing;
 * - `resume` → the missed events and then `resumed`, all posted to the sender in order
 *   (nothing is returned); `error` `NOT_FOUND` for another user's job;
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
