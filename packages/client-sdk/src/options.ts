import { LIMITS } from '@herald/protocol/wire';
import { invalidArgument as invalid } from './errors.ts';
import type { WebSocketConstructor } from './frames.ts';
import type { FetchLike, TokenProvider } from './http.ts';
import type { MultipartUploader, Uploader } from './upload.ts';

// The client's options: what a caller may set, the defaults, and the checks that refuse a
// setting API Gateway's limits would defeat.

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
  /**
   * Sends upload bytes; default XMLHttpRequest in browsers (real progress), streamed fetch
   * elsewhere, which in Node also uploads files at or above the server's multipart threshold
   * (16 MiB by default) in parts. In browsers pass `multipartUploader()` of
   * `@herald/client-sdk/multipart` for those (kept out of the core entry for its size); a plain
   * {@link Uploader} fails them as `UPLOAD_FAILED`.
   */
  readonly uploader?: Uploader | MultipartUploader;
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
   * How long `upload()` waits, before it sends the bytes, for the job's events to reach this
   * client live (the socket open and, on a narrowed connection, the job's `subscribed`
   * acknowledgement), so no progress is missed. After this, at the first `error` event (a refused
   * subscription, a lost socket) or once the connection is closed, it sends anyway: the outcome
   * still arrives through `resume` and REST. Default 5 s.
   */
  readonly subscribeTimeoutMs?: number;
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
  subscribeTimeoutMs: 5_000,
  pollIntervalMs: 10_000,
  fileLinkTimeoutMs: 120_000,
} as const;

/**
 * While the socket is open, every this-many poll ticks the unfinished followed jobs are checked
 * over REST too: events arrive on the socket, but one can slip between the publisher's
 * connection lookup and a reconnect's resume, and a REST resync that failed is not otherwise
 * retried. Once a minute at the default interval; nothing is polled for finished jobs.
 *
 * @example
 * const openCheckMs = DEFAULT_TIMINGS.pollIntervalMs * OPEN_POLL_EVERY; // 60 000
 */
export const OPEN_POLL_EVERY = 6;

/**
 * {@link HeraldClientOptions} checked, with every default filled in: what the client's parts read.
 *
 * @example
 * const { pollIntervalMs, auth } = resolveOptions({ apiUrl, wsUrl, getToken });
 */
export interface ResolvedOptions
  extends Required<Omit<HeraldClientOptions, 'WebSocket' | 'fetch' | 'uploader'>> {}

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

/**
 * Checks the options and fills in the defaults; throws `HeraldClientError` `INVALID_ARGUMENT`
 * naming the first bad one. The WebSocket timings must stay under API Gateway's `LIMITS`.
 *
 * @example
 * resolveOptions({ apiUrl, wsUrl, getToken, pingIntervalMs: 11 * 60_000 }); // throws: over the 10-minute idle timeout
 */
export function resolveOptions(options: HeraldClientOptions): ResolvedOptions {
  if (typeof options?.getToken !== 'function') {
    throw invalid('getToken must be a function returning the ID token.');
  }
  const resolved: ResolvedOptions = {
    ...DEFAULT_TIMINGS,
    auth: 'ticket',
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    apiUrl: checkUrl('apiUrl', options.apiUrl, ['http:', 'https:']),
    wsUrl: checkUrl('wsUrl', options.wsUrl, ['ws:', 'wss:']),
    getToken: options.getToken,
  } as ResolvedOptions;
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
