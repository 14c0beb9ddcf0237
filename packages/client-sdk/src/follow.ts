import { isTerminalEvent, type JobEvent, type JobView } from '@herald/protocol/wire';
import { remember } from './bounded.ts';
import type { HeraldClient } from './client.ts';
import type { OpenKind } from './connection.ts';
import { type HeraldClientError, toClientError } from './errors.ts';
import { JobWatch } from './job-handle.ts';
import { OPEN_POLL_EVERY } from './options.ts';
import type { EventTracker } from './tracker.ts';

// Following jobs: the watches (handles) of each job, their events, and the REST resync that
// fills in what the WebSocket did not deliver: after a reconnect, after a short or refused
// replay, and by polling (every poll tick while the socket is down, every OPEN_POLL_EVERY-th
// while it is open).

/** Terminal events kept so a late `follow()` of a finished job still settles. */
const MAX_REMEMBERED_TERMINALS = 200;

/**
 * What a {@link JobFollower} reads of the client: its REST calls and its connection state.
 *
 * @example
 * const client: FollowedClient = createHeraldClient({ apiUrl, wsUrl, getToken });
 */
export type FollowedClient = Pick<HeraldClient, 'job' | 'jobErrors' | 'rest' | 'state'>;

/**
 * What a {@link JobFollower} asks of the client.
 *
 * @example
 * const hooks: FollowerHooks = { active: () => true, ensureConnected: () => connection.connect(), onError: console.warn };
 */
export interface FollowerHooks {
  /** Whether polling may run: false after `close()` until new work or `connect()`. */
  active(): boolean;
  ensureConnected(): void;
  onError(error: HeraldClientError): void;
}

/**
 * Keeps every followed job's handles up to date, from the WebSocket and, where it fell short,
 * from REST. The client creates one and hands it job events, (re)connects and resume outcomes.
 *
 * @example
 * const follower = new JobFollower(client, tracker, hooks, DEFAULT_TIMINGS.pollIntervalMs);
 * const handle = follower.follow(jobId);
 */
export class JobFollower {
  readonly #client: FollowedClient;
  readonly #tracker: EventTracker;
  readonly #hooks: FollowerHooks;
  readonly #pollIntervalMs: number;
  readonly #watches = new Map<string, Set<JobWatch>>();
  readonly #needsResync = new Set<string>();
  readonly #resyncing = new Set<string>();
  readonly #terminals = new Map<string, JobEvent>();
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #openPollTicks = 0;

  constructor(client: FollowedClient, tracker: EventTracker, hooks: FollowerHooks, pollIntervalMs: number) {
    this.#client = client;
    this.#tracker = tracker;
    this.#hooks = hooks;
    this.#pollIntervalMs = pollIntervalMs;
  }

  /** A new handle on a job; its current state comes from REST unless the open socket will resume it. */
  follow(jobId: string): JobWatch {
    const watch = new JobWatch(jobId);
    this.attach(watch, jobId);
    if (this.#client.state === 'open' && !this.#tracker.finished(jobId)) this.#needsResync.add(jobId);
    else void this.#resync(jobId);
    return watch;
  }

  /** Routes a job's events to a handle until it settles; a finished job's remembered outcome settles it at once. */
  attach(watch: JobWatch, jobId: string): void {
    let set = this.#watches.get(jobId);
    if (!set) {
      set = new Set();
      this.#watches.set(jobId, set);
    }
    set.add(watch);
    watch.canceller = () => this.#client.rest.cancelJob({ params: { id: jobId } });
    const unfollow = this.#tracker.followJob(jobId);
    const watchers = set;
    watch.onSettle(() => {
      unfollow();
      watchers.delete(watch);
      if (watchers.size === 0 && this.#watches.get(jobId) === watchers) {
        this.#watches.delete(jobId);
        this.#needsResync.delete(jobId);
      }
      this.updatePolling();
    });
    watch.setSubscribed(this.#tracker.live(jobId));
    const terminal = this.#terminals.get(jobId);
    if (terminal) watch.event(terminal);
    if (watch.settled) return;
    this.#hooks.ensureConnected();
    this.updatePolling();
  }

  /** Whether each followed job's events reach the client live may have changed: tells the handles. */
  liveChanged(): void {
    for (const [jobId, watches] of this.#watches)
      for (const watch of watches) watch.setSubscribed(this.#tracker.live(jobId));
  }

  /** A (re)connect: after a reconnect every followed job is also brought up to date over REST. */
  onOpen(kind: OpenKind): void {
    if (kind === 'reconnect') for (const jobId of this.#watches.keys()) this.#needsResync.add(jobId);
  }

  /** A resume finished; a short or refused replay, or a pending reconnect resync, asks REST. */
  resumeSettled(jobId: string, complete: boolean): void {
    if (this.#needsResync.delete(jobId) || !complete) void this.#resync(jobId);
  }

  /** A job event seen for the first time, in `seq` order. */
  deliver(event: JobEvent): void {
    if (isTerminalEvent(event)) remember(this.#terminals, event.jobId, event, MAX_REMEMBERED_TERMINALS);
    for (const watch of this.#watchesOf(event.jobId)) watch.event(event);
  }

  /** Starts or stops the poll timer: it runs while jobs are followed and the client is active. */
  updatePolling(): void {
    const want = this.#watches.size > 0 && this.#hooks.active() && this.#client.state !== 'closed';
    if (want && this.#pollTimer === undefined) {
      this.#pollTimer = setInterval(() => {
        const { state } = this.#client;
        if (state === 'closed') return;
        if (state === 'open') {
          if (++this.#openPollTicks % OPEN_POLL_EVERY !== 0) return;
          for (const jobId of this.#watches.keys())
            if (!this.#tracker.finished(jobId)) void this.#resync(jobId);
          return;
        }
        for (const jobId of this.#watches.keys()) void this.#resync(jobId);
      }, this.#pollIntervalMs);
    } else if (!want && this.#pollTimer !== undefined) {
      clearInterval(this.#pollTimer);
      this.#pollTimer = undefined;
    }
  }

  /** A job's handles, copied: a handle that settles leaves the set while the caller goes through it. */
  #watchesOf(jobId: string): JobWatch[] {
    return [...(this.#watches.get(jobId) ?? [])];
  }

  /** Brings a followed job up to date from `GET /jobs/{id}`; a finished job's outcome becomes its terminal event. */
  async #resync(jobId: string): Promise<void> {
    if (this.#resyncing.has(jobId)) return;
    this.#resyncing.add(jobId);
    try {
      const view = await this.#client.job(jobId);
      for (const watch of this.#watchesOf(jobId)) watch.view(view);
      if (view.finishedAt === null) return;
      const terminal = this.#terminals.get(jobId) ?? (await this.#terminalFromView(view));
      // Already delivered (the cursor says so), but a watch may have attached after it.
      if (!this.#tracker.accept(terminal)) for (const watch of this.#watchesOf(jobId)) watch.event(terminal);
    } catch (err) {
      const error = toClientError(err, 'NETWORK_ERROR', `Refreshing job ${jobId} failed.`);
      if (error.code === 'NOT_FOUND' || error.code === 'FORBIDDEN') {
        for (const watch of this.#watchesOf(jobId)) watch.fail(error);
      } else this.#hooks.onError(error);
    } finally {
      this.#resyncing.delete(jobId);
    }
  }

  async #terminalFromView(view: JobView): Promise<JobEvent> {
    const { jobId, rowsLoaded, rowsRejected, state, error } = view;
    const at = view.finishedAt ?? view.updatedAt;
    // Each terminal state is its event's type, `job.<state>`; a failed or cancelled job has an
    // error (the server always records why), a succeeded or validated one has none.
    const outcome = error
      ? {
          type: `job.${state}` as 'job.failed',
          error,
          rowErrors: await this.#client.jobErrors(jobId).then(
            (report) => report.rowErrors,
            () => [],
          ),
        }
      : {
          type: `job.${state}` as 'job.succeeded',
          rowsLoaded,
          rowsRejected,
          durationMs: Math.max(0, Date.parse(at) - Date.parse(view.startedAt ?? view.createdAt)) || 0,
        };
    // Numbered after the last delivered event, read once the outcome is known (row errors take a request).
    return { ...outcome, jobId, at, seq: this.#tracker.lastSeq(jobId) + 1 };
  }
}
