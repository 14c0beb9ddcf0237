import {
  type ClientAction,
  type HeraldEvent,
  isTerminalEvent,
  type PerUserView,
  type ServerFrame,
} from '@herald/protocol/wire';
import { remember } from './bounded.ts';
import type { Unsubscribe } from './emitter.ts';
import { HeraldClientError } from './errors.ts';
import { streamKey } from './frames.ts';

/**
 * What a connection subscribes to. Subscriptions NARROW delivery: a connection without any
 * receives every event of its user; with some, only the matching ones (`topic: 'jobs'` every job
 * event, `topic: 'files'` every `file.ready`). Only the per-user views: shared topics
 * (`announcements`, …) are subscribed through `@herald/client-sdk/topics`, whose socket takes
 * their frames (the core would drop them).
 *
 * @example
 * const target: SubscriptionTarget = { topic: 'files' };
 */
export type SubscriptionTarget = { readonly jobId: string } | { readonly topic: PerUserView };

export interface TrackerHooks {
  send(action: ClientAction): boolean;
  /** An event seen for the first time, in `seq` order per job. */
  deliver(event: HeraldEvent): void;
  /** A resume finished; `complete` is false when the replay may have missed something. */
  resumeSettled(jobId: string, complete: boolean): void;
  /** The server refused a frame. */
  refused(error: HeraldClientError, action: string | undefined): void;
  /** {@link EventTracker.live} may have changed for any job. */
  changed(): void;
}

interface Cursor {
  lastSeq: number;
  terminal: boolean;
}

interface ResumeWindow {
  readonly id: string;
  readonly buffer: HeraldEvent[];
  readonly timer: ReturnType<typeof setTimeout>;
}

/** Cursors kept for streams nobody follows (they only guard the global `event` stream). */
const MAX_IDLE_CURSORS = 500;
/** Frame ids remembered to match `error` replies; topic subscribes succeed in silence, so ids pile up. */
const MAX_PENDING_FRAMES = 200;

function targetKey(target: SubscriptionTarget): string {
  return 'jobId' in target ? `job:${target.jobId}` : `topic:${target.topic}`;
}

function keyTarget(key: string): SubscriptionTarget {
  return key.startsWith('job:') ? { jobId: key.slice(4) } : { topic: key.slice(6) as PerUserView };
}

/** `fn`, callable once: unsubscribing twice must not drop someone else's reference. */
function once(fn: () => unknown): Unsubscribe {
  let called = false;
  return () => {
    if (!called) {
      called = true;
      fn();
    }
  };
}

function addRef(map: Map<string, number>, key: string): boolean {
  const refs = map.get(key) ?? 0;
  map.set(key, refs + 1);
  return refs === 0;
}

function dropRef(map: Map<string, number>, key: string): boolean {
  const refs = map.get(key) ?? 0;
  if (refs <= 1) {
    map.delete(key);
    return refs === 1;
  }
  map.set(key, refs - 1);
  return false;
}

/**
 * Turns the at-most-once WebSocket stream into exactly-once, in-order delivery per job:
 * - a cursor per job (or file request) drops every event whose `seq` is not above the last
 *   delivered one, and everything after a terminal event;
 * - while a `resume` replays a job, live events of that job are held back, then the replay and
 *   the held events go out sorted by `seq` once `resumed` (or an error, or a timeout) ends it;
 * - subscriptions are kept as a desired set and reconciled with what the current socket has.
 */
export class EventTracker {
  readonly #cursors = new Map<string, Cursor>();
  readonly #followed = new Map<string, number>();
  readonly #explicit = new Map<string, number>();
  readonly #internal = new Map<string, number>();
  /** Subscriptions the current socket holds: true once the server acknowledged one (`subscribed`). */
  readonly #sent = new Map<string, boolean>();
  readonly #windows = new Map<string, ResumeWindow>();
  readonly #pending = new Map<string, { action: string; jobId?: string }>();
  #frames = 0;
  #open = false;

  readonly #hooks: TrackerHooks;
  readonly #resumeTimeoutMs: number;

  constructor(hooks: TrackerHooks, resumeTimeoutMs: number) {
    this.#hooks = hooks;
    this.#resumeTimeoutMs = resumeTimeoutMs;
  }

  /** Follows a job: resumes it on every (re)connect until the returned function is called. */
  followJob(jobId: string): Unsubscribe {
    if (addRef(this.#followed, jobId)) {
      // Re-inserted so pruning (oldest first) reaches it last.
      const cursor = this.#cursors.get(jobId) ?? { lastSeq: -1, terminal: false };
      this.#cursors.delete(jobId);
      this.#cursors.set(jobId, cursor);
      if (this.#open) this.#resume(jobId);
    }
    const needs = this.need(`job:${jobId}`);
    return once(() => {
      needs();
      if (dropRef(this.#followed, jobId)) this.#flush(jobId, true, undefined);
    });
  }

  /** An explicit subscription of the app; it narrows what the connection receives. */
  subscribe(target: SubscriptionTarget): Unsubscribe {
    const key = targetKey(target);
    if (addRef(this.#explicit, key)) this.#reconcile();
    return once(() => dropRef(this.#explicit, key) && this.#reconcile());
  }

  /** A subscription the SDK needs for its own waits; sent only while the app narrows the connection. */
  need(key: string): Unsubscribe {
    if (addRef(this.#internal, key)) this.#reconcile();
    return once(() => dropRef(this.#internal, key) && this.#reconcile());
  }

  /**
   * Whether the job's events reach the open socket live: a connection without subscriptions
   * receives every event of its user; a narrowed one only once the server acknowledged the
   * job's subscription (`subscribed`).
   */
  live(jobId: string): boolean {
    return this.#open && (this.#explicit.size === 0 || this.#sent.get(`job:${jobId}`) === true);
  }

  /** The socket opened (first time, after a loss, or as a replacement): resubscribe and resume. */
  onOpen(): void {
    this.#open = true;
    this.#sent.clear();
    this.#reconcile();
    for (const jobId of this.#followed.keys()) this.#resume(jobId);
  }

  /** The socket is gone: what a resume held back is delivered now rather than kept waiting. */
  onLost(): void {
    this.#open = false;
    this.#sent.clear();
    for (const jobId of [...this.#windows.keys()]) this.#flush(jobId, false, undefined);
    this.#hooks.changed();
  }

  onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'event': {
        const window = frame.event.type === 'file.ready' ? undefined : this.#windows.get(frame.event.jobId);
        if (window) window.buffer.push(frame.event);
        else this.accept(frame.event);
        return;
      }
      case 'resumed': {
        // A topic's `resumed` belongs to its topic subscription, not to a job window.
        if (frame.jobId === undefined) return;
        const window = this.#windows.get(frame.jobId);
        if (window && (frame.id === undefined || frame.id === window.id))
          this.#flush(frame.jobId, true, frame.lastSeq);
        return;
      }
      case 'error': {
        const sent = frame.id === undefined ? undefined : this.#pending.get(frame.id);
        if (frame.id !== undefined) this.#pending.delete(frame.id);
        const error = HeraldClientError.fromEnvelope(frame.error);
        if (sent?.action === 'resume' && sent.jobId !== undefined) {
          const window = this.#windows.get(sent.jobId);
          if (window?.id === frame.id) this.#flush(sent.jobId, false, undefined);
        }
        this.#hooks.refused(error, sent?.action);
        return;
      }
      case 'subscribed': {
        if (frame.id !== undefined) this.#pending.delete(frame.id);
        // A late acknowledgement (after an upload stopped waiting) still counts; one for a
        // subscription this socket no longer holds does not.
        const key = `job:${frame.jobId}`;
        if (this.#sent.has(key)) {
          this.#sent.set(key, true);
          this.#hooks.changed();
        }
        return;
      }
      case 'pong':
        return;
    }
  }

  /**
   * Delivers an event unless its job already saw this `seq` (or a terminal event); also used for
   * events rebuilt from the REST job state. Returns whether it was delivered.
   */
  accept(event: HeraldEvent): boolean {
    const key = streamKey(event);
    const cursor = this.#cursors.get(key);
    if (cursor && (cursor.terminal || event.seq <= cursor.lastSeq)) return false;
    if (cursor) {
      cursor.lastSeq = event.seq;
      cursor.terminal = isTerminalEvent(event);
    } else {
      this.#cursors.set(key, { lastSeq: event.seq, terminal: isTerminalEvent(event) });
      this.#prune();
    }
    this.#hooks.deliver(event);
    return true;
  }

  /** The last delivered `seq` of a job (-1: none yet). */
  lastSeq(jobId: string): number {
    return this.#cursors.get(jobId)?.lastSeq ?? -1;
  }

  /** Whether a job's terminal event was delivered. */
  finished(jobId: string): boolean {
    return this.#cursors.get(jobId)?.terminal ?? false;
  }

  #nextId(prefix: string, action: string, jobId?: string): string {
    const id = `${prefix}-${++this.#frames}`;
    remember(this.#pending, id, { action, jobId }, MAX_PENDING_FRAMES);
    return id;
  }

  #resume(jobId: string): void {
    if (this.finished(jobId)) return;
    // A window left over from an earlier socket delivers what it holds before the new one opens.
    if (this.#windows.has(jobId)) this.#flush(jobId, false, undefined);
    const id = this.#nextId('resume', 'resume', jobId);
    if (!this.#hooks.send({ action: 'resume', id, jobId, afterSeq: this.lastSeq(jobId) })) {
      this.#pending.delete(id);
      return;
    }
    const timer = setTimeout(() => {
      if (this.#windows.get(jobId)?.id === id) this.#flush(jobId, false, undefined);
    }, this.#resumeTimeoutMs);
    this.#windows.set(jobId, { id, buffer: [], timer });
  }

  /** Ends a resume window: held events go out in `seq` order, duplicates dropped by `accept`. */
  #flush(jobId: string, answered: boolean, serverLastSeq: number | undefined): void {
    const window = this.#windows.get(jobId);
    if (!window) return;
    this.#windows.delete(jobId);
    this.#pending.delete(window.id);
    clearTimeout(window.timer);
    for (const event of window.buffer.sort((a, b) => a.seq - b.seq)) this.accept(event);
    if (!this.#followed.has(jobId)) return;
    // The server says the log reaches `serverLastSeq`; if we are below it, a replayed frame was
    // lost on the way, and REST has to fill in.
    const complete = answered && (serverLastSeq === undefined || this.lastSeq(jobId) >= serverLastSeq);
    this.#hooks.resumeSettled(jobId, complete || this.finished(jobId));
  }

  #reconcile(): void {
    if (!this.#open) return;
    const desired = new Set(this.#explicit.keys());
    if (desired.size > 0) for (const key of this.#internal.keys()) desired.add(key);
    for (const key of desired) {
      if (this.#sent.has(key)) continue;
      const id = this.#nextId('sub', 'subscribe');
      if (this.#hooks.send({ action: 'subscribe', id, ...keyTarget(key) } as ClientAction))
        this.#sent.set(key, false);
    }
    for (const key of [...this.#sent.keys()]) {
      if (desired.has(key)) continue;
      this.#sent.delete(key);
      this.#hooks.send({
        action: 'unsubscribe',
        id: this.#nextId('unsub', 'unsubscribe'),
        ...keyTarget(key),
      } as ClientAction);
    }
    // Narrowing (or widening) the connection changes which jobs are live.
    this.#hooks.changed();
  }

  #prune(): void {
    if (this.#cursors.size <= MAX_IDLE_CURSORS + this.#followed.size) return;
    for (const key of this.#cursors.keys()) {
      if (!this.#followed.has(key)) {
        this.#cursors.delete(key);
        return;
      }
    }
  }
}
