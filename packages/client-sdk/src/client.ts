import {
  type CreateTicketResponse,
  type CreateUploadRequest,
  type CreateUploadResponse,
  type CurrentUser,
  type FileLink,
  type FileReadyEvent,
  HERALD_SUBPROTOCOL,
  type HeraldEvent,
  type JobErrors,
  type JobList,
  type JobView,
} from '@herald/protocol/wire';
import { createFetchUploader } from '#fetch-uploader';
import { onAbort } from './abort.ts';
import { remember } from './bounded.ts';
import { Connection, type ConnectionState, type RetryInfo, type StateChange } from './connection.ts';
import { Emitter, type Unsubscribe } from './emitter.ts';
import { HeraldClientError, invalidArgument as invalid, isAuthRefusal, toClientError } from './errors.ts';
import { JobFollower } from './follow.ts';
import type { WebSocketConstructor } from './frames.ts';
import { createRequester, type FetchLike, resolveToken } from './http.ts';
import { type JobHandle, JobWatch, type UploadHandle } from './job-handle.ts';
import { type HeraldClientOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { type CallOptions, coreRestApi, type RestApi } from './rest.ts';
import { EventTracker, type SubscriptionTarget } from './tracker.ts';
import {
  abortedError,
  bodyName,
  bodySize,
  createXhrUploader,
  isUploadBody,
  type MultipartUploader,
  type UploadBody,
} from './upload.ts';

// The client: options live in `options.ts`, the typed REST layer in `rest.ts`, following jobs
// (and resyncing them over REST) in `follow.ts`; this class wires them to the connection and
// keeps the public API.

/**
 * Events of a {@link HeraldClient}:
 * - `state`: every connection state transition, `{from, to, reason?, error?}`;
 * - `retry`: a reconnect was scheduled, `{attempt, delayMs, error}`;
 * - `error`: a runtime failure (refused connection, lost socket, refused frame, failed resync);
 * - `event`: every Herald event the user receives, once, in `seq` order per job.
 *
 * @example
 * client.on('event', (event) => {
 *   if (event.type === 'job.succeeded') toast(`${event.rowsLoaded} rows loaded`);
 * });
 */
export interface HeraldClientEvents {
  state: StateChange;
  retry: RetryInfo;
  error: HeraldClientError;
  event: HeraldEvent;
}

/**
 * Options of {@link HeraldClient.upload}.
 *
 * @example
 * client.upload(stream, { dataset: 'transactions', fileName: 'march.csv', sizeBytes: 52_113 });
 */
export interface UploadOptions {
  /** The dataset to load into, e.g. `transactions`. */
  readonly dataset: string;
  /** Defaults to the `File`'s name or the file stream's path, else `upload.csv`. Must end in `.csv`. */
  readonly fileName?: string;
  /** Required for streams; Blobs and bytes know their size. */
  readonly sizeBytes?: number;
  /** Aborts the upload, as `handle.abort()` does. */
  readonly signal?: AbortSignal;
  /**
   * Validate the whole file exactly as a load would and load nothing: `done` resolves with the
   * rows that would load (`rowsLoaded`), or rejects with the same errors. Default false.
   */
  readonly dryRun?: boolean;
}

/**
 * Options of {@link HeraldClient.jobs}.
 *
 * @example
 * const page2 = await client.jobs({ limit: 50, cursor: page1.nextCursor ?? undefined });
 */
export interface ListJobsOptions extends CallOptions {
  readonly limit?: number;
  readonly cursor?: string;
}

/**
 * Options of {@link HeraldClient.getFileLink}.
 *
 * @example
 * await client.getFileLink('reports/2026/q3-summary.csv', { timeoutMs: 60_000 });
 */
export interface FileLinkOptions extends CallOptions {
  /** How long to wait for the `file.ready` event when the file must be fetched first. */
  readonly timeoutMs?: number;
}

/** `file.ready` events kept for a `getFileLink` whose 202 answer arrives after its event. */
const MAX_REMEMBERED_FILES = 50;

/** Refuses what cannot be a job id before it reaches a path or a subscription. */
function checkJobId(jobId: unknown): string {
  if (typeof jobId !== 'string' || jobId === '') throw invalid('A job id must be a non-empty string.');
  return jobId;
}

/**
 * The Herald client: typed REST calls, uploads with progress, and a WebSocket connection that
 * reconnects, resumes and deduplicates so every job event reaches the caller exactly once.
 * Create it with {@link createHeraldClient}.
 *
 * The connection is lazy: it opens on `connect()` or when something needs events (`upload`,
 * `follow`, `subscribe`, `getFileLink`). Runtime connection failures are `error` events;
 * only caller mistakes throw.
 *
 * @example
 * const client = createHeraldClient({ apiUrl, wsUrl, getToken });
 * client.on('state', ({ to }) => setBadge(to));
 * const upload = client.upload(file, { dataset: 'transactions' });
 * upload.on('progress', render);
 * const { rowsLoaded } = await upload.done;
 */
export class HeraldClient {
  /**
   * One typed call per core REST route of `@herald/protocol`, by the route's name; each answers
   * `{ status, body }` for the successes the route documents and rejects with a
   * {@link HeraldClientError} otherwise. The methods below (`me`, `jobs`, `job`, …) wrap the
   * common ones. The admin and device routes are `adminApi(client)` (`@herald/client-sdk/admin`)
   * and `deviceApi(client)` (`@herald/client-sdk/devices`).
   *
   * @example
   * const { body: job } = await client.rest.getJob({ params: { id: jobId } });
   * const link = await client.rest.createFileLink({ body: { path } }); // 200 or 202
   */
  declare readonly rest: RestApi;
  readonly #options: ResolvedOptions;
  readonly #emitter = new Emitter<HeraldClientEvents>();
  readonly #uploader: MultipartUploader;
  readonly #connection: Connection | undefined;
  readonly #tracker: EventTracker;
  readonly #follower: JobFollower;
  readonly #files = new Map<string, FileReadyEvent>();
  /** Set by `close()`, cleared by `connect()` or new work: a client without WebSocket stops polling too. */
  #stopped = false;

  constructor(options: HeraldClientOptions) {
    this.#options = resolveOptions(options);
    const fetchImpl: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
    this.rest = coreRestApi(this, createRequester(this.#options, fetchImpl));
    // One uploader gets both kinds of upload (a second option would not fit the core's size
    // budget): a plain `Uploader` only PUTs, and fails a multipart upload as UPLOAD_FAILED; in
    // browsers pass `multipartUploader()` of `@herald/client-sdk/multipart`.
    this.#uploader = (options.uploader ??
      (typeof XMLHttpRequest === 'function'
        ? createXhrUploader(XMLHttpRequest)
        : createFetchUploader(fetchImpl))) as MultipartUploader;
    this.#tracker = new EventTracker(
      {
        send: (action) => this.#connection?.send(action) ?? false,
        deliver: (event) => this.#deliver(event),
        resumeSettled: (jobId, complete) => this.#follower.resumeSettled(jobId, complete),
        refused: (error) => this.#emitter.emit('error', error),
        changed: () => this.#follower.liveChanged(),
      },
      this.#options.resumeTimeoutMs,
    );
    this.#follower = new JobFollower(
      this,
      this.#tracker,
      {
        active: () => !this.#stopped,
        ensureConnected: () => this.#ensureConnected(),
        onError: (error) => this.#emitter.emit('error', error),
      },
      this.#options.pollIntervalMs,
    );
    const WebSocketClass =
      options.WebSocket ??
      (typeof globalThis.WebSocket === 'function'
        ? (globalThis.WebSocket as WebSocketConstructor)
        : undefined);
    this.#connection =
      WebSocketClass &&
      new Connection(WebSocketClass, this.#options, {
        credentials: () => this.#credentials(),
        probeAuth: this.#options.auth === 'subprotocol' ? () => this.#probeAuth() : undefined,
        onState: (change) => this.#onState(change),
        onRetry: (info) => this.#emitter.emit('retry', info),
        onError: (error) => this.#emitter.emit('error', error),
        onOpen: (kind) => {
          this.#follower.onOpen(kind);
          this.#tracker.onOpen();
        },
        onFrame: (frame) => this.#tracker.onFrame(frame),
      });
  }

  /**
   * The connection's state; `idle` when no WebSocket implementation is available.
   *
   * @example
   * if (client.state === 'open') showLive();
   */
  get state(): ConnectionState {
    return this.#connection?.state ?? 'idle';
  }

  /**
   * Adds a listener for a client event; returns the function that removes it.
   *
   * @example
   * const off = client.on('error', (err) => console.warn(err.code, err.message));
   */
  on<K extends keyof HeraldClientEvents>(
    type: K,
    listener: (payload: HeraldClientEvents[K]) => void,
  ): Unsubscribe {
    return this.#emitter.on(type, listener);
  }

  /**
   * Opens the WebSocket connection (no-op when already open or opening). Throws only when no
   * WebSocket implementation exists (Node 20: pass `WebSocket` from `ws`).
   *
   * @example
   * client.connect();
   */
  connect(): void {
    if (!this.#connection) {
      throw invalid('No WebSocket class: pass options.WebSocket (in Node 20, the `ws` package).');
    }
    this.#stopped = false;
    this.#connection.connect();
  }

  /**
   * Closes the connection and stops polling; `connect()` (or following a job) opens it again.
   * Unsettled handles stay pending until then.
   *
   * @example
   * window.addEventListener('pagehide', () => client.close());
   */
  close(): void {
    this.#stopped = true;
    this.#connection?.close();
    this.#follower.updatePolling();
  }

  /**
   * Subscribes the connection to a job or topic. Subscriptions NARROW delivery: with none, the
   * connection receives every event of the user (the default). Kept across reconnects.
   *
   * @example
   * const off = client.subscribe({ topic: 'files' });
   */
  subscribe(target: SubscriptionTarget): Unsubscribe {
    const ok =
      typeof target === 'object' &&
      target !== null &&
      ('jobId' in target ? typeof target.jobId === 'string' : typeof target.topic === 'string');
    if (!ok) throw invalid('subscribe() needs { jobId } or { topic }.');
    const off = this.#tracker.subscribe(target);
    this.#ensureConnected();
    return off;
  }

  // --- REST ----------------------------------------------------------------------------------

  /**
   * `GET /me`: the signed-in user.
   *
   * @example
   * const { username } = await client.me();
   */
  async me(options: CallOptions = {}): Promise<CurrentUser> {
    return (await this.rest.whoami(options)).body;
  }

  /**
   * `GET /jobs`: the user's jobs, newest first, one page at a time.
   *
   * @example
   * const { jobs, nextCursor } = await client.jobs({ limit: 20 });
   */
  async jobs(options: ListJobsOptions = {}): Promise<JobList> {
    const { limit, cursor, signal } = options;
    return (await this.rest.listJobs({ query: { limit, cursor }, signal })).body;
  }

  /**
   * `GET /jobs/{id}`: one job's state.
   *
   * @example
   * const { state, rowsLoaded } = await client.job(jobId);
   */
  async job(jobId: string, options: CallOptions = {}): Promise<JobView> {
    return (await this.rest.getJob({ params: { id: checkJobId(jobId) }, signal: options.signal })).body;
  }

  /**
   * `GET /jobs/{id}/errors`: the rows a job refused, and a link to the full report.
   *
   * @example
   * const { rowErrors } = await client.jobErrors(jobId);
   */
  async jobErrors(jobId: string, options: CallOptions = {}): Promise<JobErrors> {
    return (await this.rest.getJobErrors({ params: { id: checkJobId(jobId) }, signal: options.signal })).body;
  }

  /**
   * `POST /uploads`: creates a job and a presigned upload. `upload()` does this and the rest.
   *
   * @example
   * const { jobId, upload } = await client.createUpload({ dataset: 'transactions', fileName: 'a.csv', sizeBytes: 120 });
   */
  async createUpload(request: CreateUploadRequest, options: CallOptions = {}): Promise<CreateUploadResponse> {
    return (await this.rest.createUpload({ body: request, signal: options.signal })).body;
  }

  /**
   * `POST /realtime/tickets`: a one-time WebSocket ticket. The client gets one for every
   * connect by itself; this is for callers opening their own sockets.
   *
   * @example
   * const { ticket } = await client.createTicket();
   */
  async createTicket(options: CallOptions = {}): Promise<CreateTicketResponse> {
    return (await this.rest.createTicket(options)).body;
  }

  /**
   * `POST /files/links {path}`: a short-lived download link. When the file must first be fetched
   * (`202 {requestId}`), waits for its `file.ready` event.
   *
   * @example
   * const { url } = await client.getFileLink('reports/2026/q3-summary.csv');
   * window.location.assign(url);
   */
  async getFileLink(path: string, options: FileLinkOptions = {}): Promise<FileLink> {
    if (typeof path !== 'string' || path === '') throw invalid('getFileLink() needs a file path.');
    const release = this.#tracker.need('topic:files');
    // Connect first: a `file.ready` that comes before the socket would be lost.
    this.#ensureConnected();
    try {
      const answer = await this.rest.createFileLink({ body: { path }, signal: options.signal });
      if (answer.status === 200) return answer.body;
      // The event's fields but its envelope and path are the link: requestId, url, expiresAt,
      // size, contentType, fileName.
      const {
        type: _type,
        seq: _seq,
        at: _at,
        path: _path,
        ...link
      } = await this.#waitForFile(
        answer.body.requestId,
        options.timeoutMs ?? this.#options.fileLinkTimeoutMs,
        options.signal,
      );
      return link;
    } finally {
      release();
    }
  }

  // --- jobs ----------------------------------------------------------------------------------

  /**
   * Follows a job: its events (resumed after every reconnect, deduplicated), live progress and
   * outcome. The job's current state comes from REST, so a finished job settles at once.
   *
   * @example
   * const handle = client.follow(jobId);
   * handle.on('progress', (p) => console.log(p.phase, p.percent));
   * await handle.done;
   */
  follow(jobId: string): JobHandle {
    return this.#follower.follow(checkJobId(jobId));
  }

  /**
   * Uploads a CSV and follows its job: `POST /uploads`, the bytes to the presigned URL (with
   * progress), then processing progress from the job's events. Returns at once; failures
   * (refused upload, failed job) reject `done`.
   *
   * @example
   * const upload = client.upload(file, { dataset: 'transactions' });
   * upload.on('progress', (p) => (bar.value = p.percent));
   * try {
   *   const { rowsLoaded } = await upload.done;
   * } catch (err) {
   *   if (err instanceof JobFailedError) showRowErrors(err.rowErrors);
   * }
   */
  upload(body: UploadBody, options: UploadOptions): UploadHandle {
    if (!isUploadBody(body)) throw invalid('upload() needs a File, Blob, bytes or a readable stream.');
    if (typeof options?.dataset !== 'string' || !options.dataset) {
      throw invalid('upload() needs options.dataset (e.g. "transactions").');
    }
    const known = bodySize(body);
    const sizeBytes = options.sizeBytes ?? known;
    if (sizeBytes === undefined || !Number.isSafeInteger(sizeBytes) || sizeBytes < 0) {
      throw invalid('upload() of a stream needs options.sizeBytes.');
    }
    if (known !== undefined && known !== sizeBytes) {
      throw invalid(`options.sizeBytes (${sizeBytes}) differs from the body's size (${known}).`);
    }
    const fileName = options.fileName ?? bodyName(body) ?? 'upload.csv';
    // Open the socket while the upload is created: its ticket round trip overlaps POST /uploads.
    this.#ensureConnected();
    const watch = new JobWatch(undefined);
    const controller = new AbortController();
    const abort = () => controller.abort();
    watch.setAborter(abort);
    watch.onSettle(onAbort(options.signal, abort));
    const { dataset, dryRun } = options;
    this.#runUpload(watch, body, { dataset, fileName, sizeBytes, dryRun }, controller).catch(
      (err: unknown) => {
        watch.fail(
          controller.signal.aborted
            ? abortedError(err)
            : toClientError(err, 'UPLOAD_FAILED', 'The upload failed; see `cause`.'),
        );
      },
    );
    return watch;
  }

  async #runUpload(
    watch: JobWatch,
    body: UploadBody,
    request: CreateUploadRequest,
    controller: AbortController,
  ): Promise<void> {
    const { signal } = controller;
    const { sizeBytes } = request;
    const { jobId, upload } = await this.createUpload(request, { signal });
    if (watch.settled) return;
    watch.setJobId(jobId);
    // Follow before sending the bytes: the job's first events may beat the upload's last progress.
    this.#follower.attach(watch, jobId);
    const onProgress = (sent: number) => watch.uploadProgress(sent, sizeBytes);
    onProgress(0);
    // The bytes start the job: wait (bounded) until its events reach us live, or its progress
    // may be published before the socket opened or the server stored its subscription.
    await this.#live(watch);
    // A PUT's uploader ignores `client` and `jobId`; a multipart one needs them.
    const sent = { body, sizeBytes, signal, onProgress, client: this, jobId, ...upload };
    await this.#uploader(sent);
    watch.uploaded();
  }

  // --- internals -----------------------------------------------------------------------------

  /**
   * Resolves once the job's events reach this client live (`subscribed`), at the first `error`
   * (a refused subscription, a lost socket), when the connection is closed or absent, when the
   * upload settles (aborted), or after `subscribeTimeoutMs`. Never rejects: live progress is best
   * effort.
   */
  #live(watch: JobWatch): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const off of offs) off();
        resolve();
      };
      const check = () => {
        const { state } = this;
        if (watch.snapshot.subscribed || watch.settled || state === 'idle' || state === 'closed') done();
      };
      const timer = setTimeout(done, this.#options.subscribeTimeoutMs);
      const offs = [watch.on('change', check), this.on('state', check), this.on('error', done)];
      check();
    });
  }

  #ensureConnected(): void {
    this.#stopped = false;
    const state = this.#connection?.state;
    if (state === 'idle' || state === 'closed') this.#connection?.connect();
  }

  #onState(change: StateChange): void {
    if (change.from === 'open') this.#tracker.onLost();
    this.#follower.updatePolling();
    this.#emitter.emit('state', change);
  }

  #deliver(event: HeraldEvent): void {
    // `getFileLink` waits on the `event` stream below.
    if (event.type === 'file.ready') remember(this.#files, event.requestId, event, MAX_REMEMBERED_FILES);
    else this.#follower.deliver(event);
    this.#emitter.emit('event', event);
  }

  #waitForFile(
    requestId: string,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<FileReadyEvent> {
    const seen = this.#files.get(requestId);
    if (seen) return Promise.resolve(seen);
    if (!this.#connection) {
      return Promise.reject(invalid('The file link comes over the WebSocket: pass options.WebSocket.'));
    }
    return new Promise((resolve, reject) => {
      const finish = (error: HeraldClientError | undefined, event?: FileReadyEvent) => {
        clearTimeout(timer);
        for (const off of offs) off();
        if (event) resolve(event);
        else reject(error);
      };
      const timer = setTimeout(
        () =>
          finish(
            new HeraldClientError(
              'TIMEOUT',
              `The file was not ready within ${timeoutMs} ms (request ${requestId}).`,
              {
                details: { requestId },
              },
            ),
          ),
        timeoutMs,
      );
      const offs = [
        this.on('event', (event) => {
          if (event.type === 'file.ready' && event.requestId === requestId) finish(undefined, event);
        }),
        this.on('state', ({ to, error }) => {
          if (to === 'closed')
            finish(
              error ??
                new HeraldClientError('CLIENT_CLOSED', 'The connection was closed while waiting for a file.'),
            );
        }),
      ];
      // Last: a signal aborted already finishes at once, and `offs` must exist by then.
      offs.push(onAbort(signal, () => finish(new HeraldClientError('ABORTED', 'getFileLink was aborted.'))));
    });
  }

  async #credentials(): Promise<{ url: string; protocols: string[] }> {
    if (this.#options.auth === 'subprotocol') {
      const token = await resolveToken(this.#options.getToken);
      return { url: this.#options.wsUrl, protocols: [HERALD_SUBPROTOCOL, token] };
    }
    const { ticket } = await this.createTicket();
    const url = new URL(this.#options.wsUrl);
    url.searchParams.set('ticket', ticket);
    return { url: url.toString(), protocols: [HERALD_SUBPROTOCOL] };
  }

  /** Browsers hide a refused handshake's status: `GET /me` tells whether the token is the problem. */
  async #probeAuth(): Promise<HeraldClientError | undefined> {
    try {
      await this.me();
      return undefined;
    } catch (err) {
      return isAuthRefusal(err) ? (err as HeraldClientError) : undefined;
    }
  }
}

/**
 * Creates a {@link HeraldClient}. Throws a {@link HeraldClientError} `INVALID_ARGUMENT` for bad
 * options (a missing URL, a heartbeat slower than API Gateway's idle cut).
 *
 * @example
 * // Browser
 * const client = createHeraldClient({ apiUrl, wsUrl, getToken: () => auth.idToken });
 *
 * // Node 20
 * import WebSocket from 'ws';
 * const client = createHeraldClient({ apiUrl, wsUrl, getToken: () => process.env.HERALD_TOKEN, WebSocket });
 */
export function createHeraldClient(options: HeraldClientOptions): HeraldClient {
  return new HeraldClient(options);
}
