import {
  type CreateTicketResponse,
  type CreateUploadRequest,
  type CreateUploadResponse,
  type CurrentUser,
  type DevicePlatform,
  type ErrorEnvelope,
  type FileLink,
  type FileReadyEvent,
  HERALD_SUBPROTOCOL,
  type HeraldEvent,
  type JobErrors,
  type JobEvent,
  type JobList,
  type JobView,
  LIMITS,
  type RegisterDeviceResponse,
} from '@herald/protocol/wire';
import { Connection, type ConnectionState, type RetryInfo, type StateChange } from './connection.ts';
import { Emitter, type Unsubscribe } from './emitter.ts';
import { HeraldClientError, toClientError } from './errors.ts';
import type { WebSocketConstructor } from './frames.ts';
import { expectShape, type FetchLike, HttpClient, resolveToken, type TokenProvider } from './http.ts';
import { type JobHandle, JobWatch, type UploadHandle } from './job-handle.ts';
import { EventTracker, type SubscriptionTarget } from './tracker.ts';
import {
  bodyName,
  bodySize,
  createFetchUploader,
  createXhrUploader,
  isUploadBody,
  type UploadBody,
  type Uploader,
} from './upload.ts';

/**
 * Options of {@link createHeraldClient}. Only `apiUrl`, `wsUrl` and `getToken` are required.
 *
 * @example
 * import WebSocket from 'ws';
 * const options: HeraldClientOptions = {
 *   apiUrl: 'https://api.example.com/prod',
 *   wsUrl: 'wss://ws.example.com/prod',
 *   getToken: () => session.idToken,
 *   WebSocket, // Node 20 has no global WebSocket
 * };
 */
export interface HeraldClientOptions {
  /** Base URL of the REST API, e.g. `https://api.example.com/prod`. */
  readonly apiUrl: string;
  /** URL of the WebSocket API, e.g. `wss://ws.example.com/prod`. */
  readonly wsUrl: string;
  /** The user's Cognito ID token; called for every request and every (re)connect. */
  readonly getToken: TokenProvider;
  /** WebSocket class; default `globalThis.WebSocket`. In Node 20 pass `ws`'s default export. */
  readonly WebSocket?: WebSocketConstructor;
  /** `fetch`; default `globalThis.fetch`. */
  readonly fetch?: FetchLike;
  /** Sends upload bytes; default XMLHttpRequest in browsers (real progress), streamed fetch elsewhere. */
  readonly uploader?: Uploader;
  /**
   * How the WebSocket authenticates: `'ticket'` (default) gets a one-time ticket from
   * `POST /realtime/tickets` for every connect, so no long-lived token lands in URLs or logs;
   * `'subprotocol'` offers the ID token as a `Sec-WebSocket-Protocol` value next to `herald.v1`.
   */
  readonly auth?: 'ticket' | 'subprotocol';
  /** Smallest reconnect delay. Default 500 ms. */
  readonly minReconnectDelayMs?: number;
  /** Largest reconnect delay. Default 20 s. */
  readonly maxReconnectDelayMs?: number;
  /** Heartbeat period; must stay under API Gateway's 10-minute idle cut. Default 5 min. */
  readonly pingIntervalMs?: number;
  /** How long a ping may go unanswered before the client reconnects. Default 15 s. */
  readonly pongTimeoutMs?: number;
  /** Age at which the connection is replaced (make before break), under API Gateway's 2 h cap. Default 110 min. */
  readonly maxConnectionAgeMs?: number;
  /** Longest WebSocket handshake. Default 15 s. */
  readonly connectTimeoutMs?: number;
  /** Longest REST request. Default 30 s (API Gateway's integration timeout is 29 s). */
  readonly requestTimeoutMs?: number;
  /** How long a `resume` may take before the client falls back to REST. Default 10 s. */
  readonly resumeTimeoutMs?: number;
  /**
   * How often followed jobs are polled over REST while the WebSocket is down. Default 10 s.
   * While it is open, unfinished followed jobs are still checked every
   * {@link OPEN_POLL_EVERY} × this (a safety net for an event lost in a race or a failed resync).
   */
  readonly pollIntervalMs?: number;
  /** How long `getFileLink` waits for a `file.ready` event. Default 2 min. */
  readonly fileLinkTimeoutMs?: number;
}

/**
 * Defaults of the optional {@link HeraldClientOptions} timings.
 *
 * @example
 * createHeraldClient({ apiUrl, wsUrl, getToken, pongTimeoutMs: DEFAULT_TIMINGS.pongTimeoutMs * 2 });
 */
export const DEFAULT_TIMINGS = {
  minReconnectDelayMs: 500,
  maxReconnectDelayMs: 20_000,
  pingIntervalMs: 5 * 60_000,
  pongTimeoutMs: 15_000,
  maxConnectionAgeMs: 110 * 60_000,
  connectTimeoutMs: 15_000,
  requestTimeoutMs: 30_000,
  resumeTimeoutMs: 10_000,
  pollIntervalMs: 10_000,
  fileLinkTimeoutMs: 120_000,
} as const;

/**
 * While the socket is open, every this-many poll ticks the unfinished followed jobs are checked
 * over REST too: events arrive on the socket, but one can slip between the publisher's
 * connection lookup and a reconnect's resume, and a REST resync that failed is not otherwise
 * retried. Once a minute at the default interval; nothing is polled for finished jobs.
 */
export const OPEN_POLL_EVERY = 6;

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
}

/**
 * Options of a single REST call.
 *
 * @example
 * await client.job(jobId, { signal: AbortSignal.timeout(5_000) });
 */
export interface CallOptions {
  readonly signal?: AbortSignal;
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

interface FileWaiter {
  resolve(event: FileReadyEvent): void;
  reject(error: HeraldClientError): void;
}

interface Resolved extends Required<Omit<HeraldClientOptions, 'WebSocket' | 'fetch' | 'uploader'>> {}

/** Terminal events kept so a late `follow()` of a finished job still settles. */
const MAX_REMEMBERED_TERMINALS = 200;
/** `file.ready` events kept for a `getFileLink` whose 202 answer arrives after its event. */
const MAX_REMEMBERED_FILES = 50;

function invalid(message: string): HeraldClientError {
  return new HeraldClientError('INVALID_ARGUMENT', message, { retryable: false });
}

function checkUrl(name: string, value: unknown, schemes: readonly string[]): string {
  let protocol: string | undefined;
  try {
    protocol = new URL(value as string).protocol;
  } catch {
    // Reported below, with what was given.
  }
  if (typeof value !== 'string' || !protocol || !schemes.includes(protocol)) {
    throw invalid(`${name} must be a ${schemes.join('// or ')}// URL, not ${JSON.stringify(value)}.`);
  }
  return value;
}

function resolveOptions(options: HeraldClientOptions): Resolved {
  if (typeof options?.getToken !== 'function') {
    throw invalid('getToken must be a function returning the ID token.');
  }
  const resolved: Resolved = {
    ...DEFAULT_TIMINGS,
    auth: 'ticket',
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    apiUrl: checkUrl('apiUrl', options.apiUrl, ['http:', 'https:']),
    wsUrl: checkUrl('wsUrl', options.wsUrl, ['ws:', 'wss:']),
    getToken: options.getToken,
  } as Resolved;
  for (const key of Object.keys(DEFAULT_TIMINGS) as (keyof typeof DEFAULT_TIMINGS)[]) {
    const value = resolved[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw invalid(`${key} must be a positive number of milliseconds.`);
    }
  }
  if (resolved.minReconnectDelayMs > resolved.maxReconnectDelayMs) {
    throw invalid('minReconnectDelayMs must not exceed maxReconnectDelayMs.');
  }
  if (resolved.pingIntervalMs >= LIMITS.wsIdleTimeoutMs) {
    const minutes = LIMITS.wsIdleTimeoutMs / 60_000;
    throw invalid(`pingIntervalMs must stay under API Gateway’s ${minutes}-minute idle timeout.`);
  }
  if (resolved.maxConnectionAgeMs >= LIMITS.wsMaxConnectionAgeMs) {
    const hours = LIMITS.wsMaxConnectionAgeMs / 3_600_000;
    throw invalid(`maxConnectionAgeMs must stay under API Gateway’s ${hours}-hour connection limit.`);
  }
  if (resolved.auth !== 'ticket' && resolved.auth !== 'subprotocol')
    throw invalid("auth must be 'ticket' or 'subprotocol'.");
  return resolved;
}

function remember<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest as K);
  }
}

function jobPath(jobId: string, suffix = ''): string {
  if (typeof jobId !== 'string' || jobId === '') throw invalid('A job id must be a non-empty string.');
  return `/jobs/${encodeURIComponent(jobId)}${suffix}`;
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
  readonly #options: Resolved;
  readonly #emitter = new Emitter<HeraldClientEvents>();
  readonly #http: HttpClient;
  readonly #uploader: Uploader;
  readonly #connection: Connection | undefined;
  readonly #tracker: EventTracker;
  readonly #watches = new Map<string, Set<JobWatch>>();
  readonly #needsResync = new Set<string>();
  readonly #resyncing = new Set<string>();
  readonly #terminals = new Map<string, JobEvent>();
  readonly #files = new Map<string, FileReadyEvent>();
  readonly #fileWaiters = new Map<string, Set<FileWaiter>>();
  #pollTimer: ReturnType<typeof setInterval> | undefined;
  #openPollTicks = 0;
  /** Set by `close()`, cleared by `connect()` or new work: a client without WebSocket stops polling too. */
  #stopped = false;

  constructor(options: HeraldClientOptions) {
    this.#options = resolveOptions(options);
    const fetchImpl: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
    this.#http = new HttpClient({
      apiUrl: this.#options.apiUrl,
      getToken: this.#options.getToken,
      fetch: fetchImpl,
      timeoutMs: this.#options.requestTimeoutMs,
    });
    this.#uploader =
      options.uploader ??
      (typeof XMLHttpRequest === 'function'
        ? createXhrUploader(XMLHttpRequest)
        : createFetchUploader(fetchImpl));
    this.#tracker = new EventTracker(
      {
        send: (action) => this.#connection?.send(action) ?? false,
        deliver: (event) => this.#deliver(event),
        resumeSettled: (jobId, complete) => {
          if (this.#needsResync.delete(jobId) || !complete) void this.#resync(jobId);
        },
        refused: (error) => this.#emitter.emit('error', error),
      },
      this.#options.resumeTimeoutMs,
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
          if (kind === 'reconnect') for (const jobId of this.#watches.keys()) this.#needsResync.add(jobId);
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
    this.#updatePolling();
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
    return this.#http.json<CurrentUser>(
      'GET',
      '/me',
      { userId: 'string', username: 'string', groups: 'object' },
      options,
    );
  }

  /**
   * `GET /jobs`: the user's jobs, newest first, one page at a time.
   *
   * @example
   * const { jobs, nextCursor } = await client.jobs({ limit: 20 });
   */
  async jobs(options: ListJobsOptions = {}): Promise<JobList> {
    return this.#http.json<JobList>(
      'GET',
      '/jobs',
      { jobs: 'object' },
      { query: { limit: options.limit, cursor: options.cursor }, signal: options.signal },
    );
  }

  /**
   * `GET /jobs/{id}`: one job's state.
   *
   * @example
   * const { state, rowsLoaded } = await client.job(jobId);
   */
  async job(jobId: string, options: CallOptions = {}): Promise<JobView> {
    return this.#http.json<JobView>('GET', jobPath(jobId), { jobId: 'string', state: 'string' }, options);
  }

  /**
   * `GET /jobs/{id}/errors`: the rows a job refused, and a link to the full report.
   *
   * @example
   * const { rowErrors } = await client.jobErrors(jobId);
   */
  async jobErrors(jobId: string, options: CallOptions = {}): Promise<JobErrors> {
    return this.#http.json<JobErrors>(
      'GET',
      jobPath(jobId, '/errors'),
      { jobId: 'string', rowErrors: 'object' },
      options,
    );
  }

  /**
   * `POST /uploads`: creates a job and a presigned upload. `upload()` does this and the rest.
   *
   * @example
   * const { jobId, upload } = await client.createUpload({ dataset: 'transactions', fileName: 'a.csv', sizeBytes: 120 });
   */
  async createUpload(request: CreateUploadRequest, options: CallOptions = {}): Promise<CreateUploadResponse> {
    const created = await this.#http.json<CreateUploadResponse>(
      'POST',
      '/uploads',
      { jobId: 'string', upload: 'object' },
      { body: request, signal: options.signal },
    );
    expectShape(created.upload, 'POST /uploads', { url: 'string', headers: 'object' });
    return created;
  }

  /**
   * `POST /realtime/tickets`: a one-time WebSocket ticket. The client gets one for every
   * connect by itself; this is for callers opening their own sockets.
   *
   * @example
   * const { ticket } = await client.createTicket();
   */
  async createTicket(options: CallOptions = {}): Promise<CreateTicketResponse> {
    return this.#http.json<CreateTicketResponse>(
      'POST',
      '/realtime/tickets',
      { ticket: 'string', expiresAt: 'string' },
      options,
    );
  }

  /**
   * `POST /devices`: registers (or refreshes) an FCM token, so terminal events reach the user
   * as pushes while no WebSocket is open.
   *
   * @example
   * await client.registerDevice(await getFcmToken(), 'web');
   */
  async registerDevice(
    token: string,
    platform: DevicePlatform = 'web',
    options: CallOptions = {},
  ): Promise<RegisterDeviceResponse> {
    if (typeof token !== 'string' || token === '') throw invalid('registerDevice() needs the FCM token.');
    return this.#http.json<RegisterDeviceResponse>(
      'POST',
      '/devices',
      { platform: 'string', created: 'boolean' },
      { body: { token, platform }, signal: options.signal },
    );
  }

  /**
   * `DELETE /devices/{token}`: stops pushes to a device (e.g. on sign-out).
   *
   * @example
   * await client.unregisterDevice(fcmToken);
   */
  async unregisterDevice(token: string, options: CallOptions = {}): Promise<void> {
    if (typeof token !== 'string' || token === '') throw invalid('unregisterDevice() needs the FCM token.');
    await this.#http.request<unknown>('DELETE', `/devices/${encodeURIComponent(token)}`, options);
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
      const { status, body } = await this.#http.request<unknown>('POST', '/files/links', {
        body: { path },
        signal: options.signal,
      });
      if (status === 202) {
        const { requestId } = expectShape<{ requestId: string }>(body, 'POST /files/links', {
          requestId: 'string',
        });
        const { url, expiresAt, size, contentType, fileName } = await this.#waitForFile(
          requestId,
          options.timeoutMs ?? this.#options.fileLinkTimeoutMs,
          options.signal,
        );
        return { requestId, url, expiresAt, size, contentType, fileName };
      }
      return expectShape<FileLink>(body, 'POST /files/links', {
        url: 'string',
        expiresAt: 'string',
        size: 'number',
        contentType: 'string',
        fileName: 'string',
      });
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
    jobPath(jobId);
    const watch = new JobWatch(jobId);
    this.#attach(watch, jobId);
    if (this.state === 'open' && !this.#tracker.finished(jobId)) this.#needsResync.add(jobId);
    else void this.#resync(jobId);
    return watch;
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
    if (options.signal?.aborted) controller.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    watch.setAborter(abort);
    watch.onSettle(() => options.signal?.removeEventListener('abort', abort));
    this.#runUpload(watch, body, { dataset: options.dataset, fileName, sizeBytes }, controller).catch(
      (err: unknown) => {
        watch.fail(
          controller.signal.aborted
            ? new HeraldClientError('ABORTED', 'The upload was aborted.', { cause: err, retryable: false })
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
    const created = await this.createUpload(request, { signal });
    if (watch.settled) return;
    watch.setJobId(created.jobId);
    // Follow before sending the bytes: the job's first events may beat the upload's last progress.
    this.#attach(watch, created.jobId);
    watch.uploadProgress(0, request.sizeBytes);
    await this.#uploader({
      method: 'PUT',
      url: created.upload.url,
      headers: created.upload.headers,
      body,
      sizeBytes: request.sizeBytes,
      signal,
      onProgress: (sent) => watch.uploadProgress(sent, request.sizeBytes),
    });
    watch.uploaded();
  }

  // --- internals -----------------------------------------------------------------------------

  #ensureConnected(): void {
    this.#stopped = false;
    const state = this.#connection?.state;
    if (state === 'idle' || state === 'closed') this.#connection?.connect();
  }

  #attach(watch: JobWatch, jobId: string): void {
    let set = this.#watches.get(jobId);
    if (!set) {
      set = new Set();
      this.#watches.set(jobId, set);
    }
    set.add(watch);
    const unfollow = this.#tracker.followJob(jobId);
    const watchers = set;
    watch.onSettle(() => {
      unfollow();
      watchers.delete(watch);
      if (watchers.size === 0 && this.#watches.get(jobId) === watchers) {
        this.#watches.delete(jobId);
        this.#needsResync.delete(jobId);
      }
      this.#updatePolling();
    });
    const terminal = this.#terminals.get(jobId);
    if (terminal) watch.event(terminal);
    if (watch.settled) return;
    this.#ensureConnected();
    this.#updatePolling();
  }

  #onState(change: StateChange): void {
    if (change.from === 'open') this.#tracker.onLost();
    if (change.to === 'closed') {
      const error =
        change.error ??
        new HeraldClientError('CLIENT_CLOSED', 'The connection was closed while waiting for a file.');
      for (const waiters of [...this.#fileWaiters.values()])
        for (const waiter of [...waiters]) waiter.reject(error);
    }
    this.#updatePolling();
    this.#emitter.emit('state', change);
  }

  #deliver(event: HeraldEvent): void {
    if (event.type === 'file.ready') {
      remember(this.#files, event.requestId, event, MAX_REMEMBERED_FILES);
      for (const waiter of [...(this.#fileWaiters.get(event.requestId) ?? [])]) waiter.resolve(event);
    } else {
      if (event.type === 'job.succeeded' || event.type === 'job.failed') {
        remember(this.#terminals, event.jobId, event, MAX_REMEMBERED_TERMINALS);
      }
      for (const watch of [...(this.#watches.get(event.jobId) ?? [])]) watch.event(event);
    }
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
      let waiters = this.#fileWaiters.get(requestId);
      if (!waiters) {
        waiters = new Set();
        this.#fileWaiters.set(requestId, waiters);
      }
      const set = waiters;
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        set.delete(waiter);
        if (set.size === 0) this.#fileWaiters.delete(requestId);
      };
      const waiter: FileWaiter = {
        resolve: (event) => {
          cleanup();
          resolve(event);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      const onAbort = () => waiter.reject(new HeraldClientError('ABORTED', 'getFileLink was aborted.'));
      const timer = setTimeout(
        () =>
          waiter.reject(
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
      set.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
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
      const refused =
        err instanceof HeraldClientError && (err.code === 'UNAUTHENTICATED' || err.code === 'FORBIDDEN');
      return refused ? err : undefined;
    }
  }

  #updatePolling(): void {
    const want = this.#watches.size > 0 && !this.#stopped && this.state !== 'closed';
    if (want && this.#pollTimer === undefined) {
      this.#pollTimer = setInterval(() => {
        if (this.state === 'closed') return;
        if (this.state === 'open') {
          if (++this.#openPollTicks % OPEN_POLL_EVERY !== 0) return;
          for (const jobId of this.#watches.keys())
            if (!this.#tracker.finished(jobId)) void this.#resync(jobId);
          return;
        }
        for (const jobId of this.#watches.keys()) void this.#resync(jobId);
      }, this.#options.pollIntervalMs);
    } else if (!want && this.#pollTimer !== undefined) {
      clearInterval(this.#pollTimer);
      this.#pollTimer = undefined;
    }
  }

  /** Brings followed jobs up to date from `GET /jobs/{id}`; a finished job's outcome becomes its terminal event. */
  async #resync(jobId: string): Promise<void> {
    if (this.#resyncing.has(jobId)) return;
    this.#resyncing.add(jobId);
    try {
      const view = await this.job(jobId);
      for (const watch of this.#watches.get(jobId) ?? []) watch.view(view);
      if (view.state !== 'succeeded' && view.state !== 'failed') return;
      const terminal = this.#terminals.get(jobId) ?? (await this.#terminalFromView(view));
      // Already delivered (the cursor says so), but a watch may have attached after it.
      if (!this.#tracker.accept(terminal))
        for (const watch of [...(this.#watches.get(jobId) ?? [])]) watch.event(terminal);
    } catch (err) {
      const error = toClientError(err, 'NETWORK_ERROR', `Refreshing job ${jobId} failed.`);
      if (error.code === 'NOT_FOUND' || error.code === 'FORBIDDEN') {
        for (const watch of [...(this.#watches.get(jobId) ?? [])]) watch.fail(error);
      } else this.#emitter.emit('error', error);
    } finally {
      this.#resyncing.delete(jobId);
    }
  }

  async #terminalFromView(view: JobView): Promise<JobEvent> {
    const at = view.finishedAt ?? view.updatedAt;
    const base = { jobId: view.jobId, at };
    if (view.state === 'succeeded') {
      const started = Date.parse(view.startedAt ?? view.createdAt);
      const durationMs = Math.max(0, Date.parse(at) - started) || 0;
      const { rowsLoaded, rowsRejected } = view;
      return {
        type: 'job.succeeded',
        ...base,
        seq: this.#tracker.lastSeq(view.jobId) + 1,
        rowsLoaded,
        rowsRejected,
        durationMs,
      };
    }
    const rowErrors = await this.jobErrors(view.jobId).then(
      (report) => report.rowErrors,
      () => [],
    );
    const error: ErrorEnvelope = view.error ?? { code: 'INTERNAL', message: 'The job failed.' };
    return { type: 'job.failed', ...base, seq: this.#tracker.lastSeq(view.jobId) + 1, error, rowErrors };
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
