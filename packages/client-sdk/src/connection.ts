import {
  AUTH_CLOSE_CODES,
  type ClientAction,
  HEARTBEAT_CLOSE_CODE,
  ORDERLY_CLOSE_CODES,
  type ServerFrame,
} from '@herald/protocol/wire';
import { handshakeStatusError, socketErrorText } from '#node-only';
import { backoffDelay } from './backoff.ts';
import { HeraldClientError, isAuthRefusal, toClientError } from './errors.ts';
import {
  parseServerFrame,
  type SocketEventMap,
  type WebSocketConstructor,
  type WebSocketLike,
} from './frames.ts';

/**
 * Where the client's WebSocket connection is:
 * - `idle`: never asked to connect;
 * - `connecting`: the first connection is being opened;
 * - `open`: connected; events flow;
 * - `reconnecting`: the connection was lost (or an attempt failed) and the client retries with backoff;
 * - `closed`: closed by `close()`, or refused for good (auth); `connect()` starts again.
 *
 * @example
 * client.on('state', ({ from, to }) => console.log(`${from} → ${to}`));
 */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/**
 * One state transition, as the `state` event reports it. Every transition goes through one
 * place in the client, so listeners see each one exactly once and in order.
 *
 * @example
 * client.on('state', (change: StateChange) => {
 *   if (change.to === 'closed' && change.error) showSignIn(change.error.message);
 * });
 */
export interface StateChange {
  readonly from: ConnectionState;
  readonly to: ConnectionState;
  /** Why, in a sentence, when the transition was not asked for by the caller. */
  readonly reason?: string;
  /** The failure behind a transition to `reconnecting` or `closed`. */
  readonly error?: HeraldClientError;
}

/**
 * A scheduled reconnect attempt, as the `retry` event reports it.
 *
 * @example
 * client.on('retry', ({ attempt, delayMs }) => console.log(`retry #${attempt} in ${delayMs} ms`));
 */
export interface RetryInfo {
  /** 1 for the first retry after a loss, growing until a connection opens. */
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: HeraldClientError;
}

/** Timing knobs of the connection; defaults in `options.ts`. */
export interface ConnectionTiming {
  readonly minReconnectDelayMs: number;
  readonly maxReconnectDelayMs: number;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly maxConnectionAgeMs: number;
  readonly connectTimeoutMs: number;
}

/** How a socket came to be open: first time, after a loss, or as a planned replacement. */
export type OpenKind = 'connect' | 'reconnect' | 'rotate';

/** What the connection asks of its owner. */
export interface ConnectionHooks {
  /** The URL and subprotocols of one attempt: a fresh ticket or token every time. */
  credentials(): Promise<{ url: string; protocols?: string[] }>;
  /** Classifies a handshake that failed with no visible HTTP status (browsers hide it). */
  probeAuth?(): Promise<HeraldClientError | undefined>;
  onState(change: StateChange): void;
  onRetry(info: RetryInfo): void;
  onError(error: HeraldClientError): void;
  onOpen(kind: OpenKind): void;
  onFrame(frame: ServerFrame): void;
}

const OPEN = 1;

function closeCodeError(code: number, reason: string): HeraldClientError | undefined {
  const refused =
    code === AUTH_CLOSE_CODES.UNAUTHENTICATED
      ? 'UNAUTHENTICATED'
      : code === AUTH_CLOSE_CODES.FORBIDDEN
        ? 'FORBIDDEN'
        : '';
  if (!refused) return undefined;
  return new HeraldClientError(refused, `The server refused the connection${reason ? `: ${reason}` : ''}.`, {
    details: { closeCode: code },
  });
}

/** Removes the ticket from a URL before it goes into an error message. */
function redact(url: string): string {
  return url.replace(/([?&]ticket=)[^&]*/, '$1…');
}

/**
 * The WebSocket state machine: one socket at a time, full-jitter reconnects, heartbeat with a
 * pong timeout, and a make-before-break replacement before API Gateway's 2-hour cut. Every
 * state change goes through `#setState`.
 */
export class Connection {
  #_state: ConnectionState = 'idle';
  #socket: WebSocketLike | undefined;
  /** Sockets still in their handshake; closed by `close()`. */
  readonly #candidates = new Set<WebSocketLike>();
  /** Bumped by every new attempt and by `close()`: async work of an older epoch is abandoned. */
  #epoch = 0;
  #attempts = 0;
  #everOpened = false;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setTimeout> | undefined;
  #pongTimer: ReturnType<typeof setTimeout> | undefined;
  #ageTimer: ReturnType<typeof setTimeout> | undefined;
  #pendingPing: string | undefined;
  #pings = 0;

  readonly #WebSocketClass: WebSocketConstructor;
  readonly #timing: ConnectionTiming;
  readonly #hooks: ConnectionHooks;

  constructor(WebSocketClass: WebSocketConstructor, timing: ConnectionTiming, hooks: ConnectionHooks) {
    this.#WebSocketClass = WebSocketClass;
    this.#timing = timing;
    this.#hooks = hooks;
  }

  get state(): ConnectionState {
    return this.#_state;
  }

  connect(): void {
    if (this.#_state === 'connecting' || this.#_state === 'open' || this.#_state === 'reconnecting') return;
    this.#setState('connecting');
    void this.#attempt();
  }

  close(reason = 'Closed by the client.'): void {
    this.#epoch++;
    this.#stopTimers();
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close(1000, 'client closed');
    for (const candidate of this.#candidates) candidate.close(1000, 'client closed');
    this.#candidates.clear();
    this.#setState('closed', { reason });
  }

  /** Sends an action on the open socket; false when there is none (the caller resends on open). */
  send(action: ClientAction): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== OPEN) return false;
    socket.send(JSON.stringify(action));
    return true;
  }

  /** The ONE place the state changes; a change to the same state is not a transition. */
  #setState(to: ConnectionState, extra: { reason?: string; error?: HeraldClientError } = {}): void {
    const from = this.#_state;
    if (from === to) return;
    this.#_state = to;
    this.#hooks.onState({ from, to, ...extra });
  }

  async #attempt(): Promise<void> {
    const epoch = ++this.#epoch;
    this.#reconnectTimer = undefined;
    try {
      await this.#openSocket(
        () => epoch === this.#epoch,
        (socket) => {
          if (epoch !== this.#epoch) return false;
          this.#adopt(socket, this.#everOpened ? 'reconnect' : 'connect');
          return true;
        },
      );
    } catch (err) {
      if (epoch !== this.#epoch) return;
      this.#retryOrStop(toClientError(err, 'NETWORK_ERROR', 'The WebSocket connection failed.'), true);
    }
  }

  #retryOrStop(error: HeraldClientError, report: boolean): void {
    if (report || isAuthRefusal(error)) this.#hooks.onError(error);
    if (isAuthRefusal(error)) {
      this.#setState('closed', { reason: error.message, error });
      return;
    }
    const attempt = this.#attempts++;
    const delayMs = backoffDelay(attempt, this.#timing.minReconnectDelayMs, this.#timing.maxReconnectDelayMs);
    this.#setState('reconnecting', { reason: error.message, error });
    this.#hooks.onRetry({ attempt: attempt + 1, delayMs, error });
    clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = setTimeout(() => void this.#attempt(), delayMs);
  }

  /**
   * Opens one socket with fresh credentials. `accept` runs synchronously in the `open` handler,
   * so no frame can arrive before the socket is adopted; it returns false for a stale attempt.
   */
  async #openSocket(current: () => boolean, accept: (socket: WebSocketLike) => boolean): Promise<void> {
    const { url, protocols } = await this.#hooks.credentials();
    if (!current()) return;
    await new Promise<void>((resolve, reject) => {
      let socket: WebSocketLike;
      try {
        socket = protocols ? new this.#WebSocketClass(url, protocols) : new this.#WebSocketClass(url);
      } catch (err) {
        reject(
          new HeraldClientError('NETWORK_ERROR', `Could not open a WebSocket to ${redact(url)}.`, {
            cause: err,
          }),
        );
        return;
      }
      this.#candidates.add(socket);
      let opened = false;
      let settled = false;
      let lastError: string | undefined;
      const settle = (error?: HeraldClientError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.#candidates.delete(socket);
        if (error) reject(error);
        else resolve();
      };
      const timer = setTimeout(() => {
        settle(
          new HeraldClientError(
            'TIMEOUT',
            `The WebSocket handshake took longer than ${this.#timing.connectTimeoutMs} ms.`,
          ),
        );
        socket.close();
      }, this.#timing.connectTimeoutMs);

      socket.addEventListener('open', () => {
        if (settled) {
          socket.close(1000, 'handshake timed out');
          return;
        }
        opened = true;
        settle();
        if (!accept(socket)) socket.close(1000, 'superseded');
      });
      socket.addEventListener('error', (event) => {
        lastError ??= socketErrorText(event);
      });
      socket.addEventListener('close', (event) => {
        if (opened) this.#onSocketClose(socket, event);
        else if (!settled) void this.#handshakeError(event, lastError).then(settle);
      });
      socket.addEventListener('message', (event) => {
        if (opened) this.#onSocketMessage(socket, event);
      });
    });
  }

  async #handshakeError(
    event: SocketEventMap['close'],
    text: string | undefined,
  ): Promise<HeraldClientError> {
    const known = closeCodeError(event.code, event.reason) ?? handshakeStatusError(text);
    if (known) return known;
    if (this.#hooks.probeAuth) {
      const refusal = await this.#hooks.probeAuth().catch(() => undefined);
      if (refusal) return refusal;
    }
    return new HeraldClientError(
      'NETWORK_ERROR',
      `The WebSocket handshake failed (close code ${event.code}).`,
      {
        details: text === undefined ? undefined : { message: text },
      },
    );
  }

  #adopt(socket: WebSocketLike, kind: OpenKind): void {
    const previous = this.#socket;
    this.#socket = socket;
    this.#attempts = 0;
    this.#everOpened = true;
    this.#startTimers();
    // Make before break: the old socket's late frames are ignored (it is no longer current),
    // and whatever it would have delivered is replayed by the resume the owner sends on open.
    previous?.close(1000, 'replaced by a fresh connection');
    this.#setState('open');
    this.#hooks.onOpen(kind);
  }

  #onSocketMessage(socket: WebSocketLike, event: SocketEventMap['message']): void {
    if (socket !== this.#socket) return;
    const frame = parseServerFrame(event.data);
    if (!frame) return;
    if (frame.type === 'pong') {
      if (this.#pendingPing !== undefined && (frame.id === undefined || frame.id === this.#pendingPing)) {
        this.#pendingPing = undefined;
        clearTimeout(this.#pongTimer);
        this.#schedulePing();
      }
      return;
    }
    this.#hooks.onFrame(frame);
  }

  #onSocketClose(socket: WebSocketLike, event: SocketEventMap['close']): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    this.#stopTimers();
    const refusal = closeCodeError(event.code, event.reason);
    if (refusal) {
      this.#retryOrStop(refusal, true);
      return;
    }
    const because = event.reason ? `: ${event.reason}` : '';
    const error = new HeraldClientError(
      'CONNECTION_LOST',
      `The WebSocket closed (code ${event.code}${because}).`,
      {
        details: { closeCode: event.code },
      },
    );
    // The server's orderly closes (API Gateway's idle and age limits, a deleted connection):
    // worth a reconnect, not an error report.
    const orderly =
      event.code === ORDERLY_CLOSE_CODES.NORMAL || event.code === ORDERLY_CLOSE_CODES.GOING_AWAY;
    this.#retryOrStop(error, !orderly);
  }

  #startTimers(): void {
    this.#stopTimers();
    this.#schedulePing();
    this.#ageTimer = setTimeout(() => void this.#rotate(), this.#timing.maxConnectionAgeMs);
  }

  #stopTimers(): void {
    clearTimeout(this.#pingTimer);
    clearTimeout(this.#pongTimer);
    clearTimeout(this.#ageTimer);
    this.#pendingPing = undefined;
  }

  #schedulePing(): void {
    clearTimeout(this.#pingTimer);
    this.#pingTimer = setTimeout(() => this.#ping(), this.#timing.pingIntervalMs);
  }

  #ping(): void {
    const socket = this.#socket;
    if (!socket) return;
    const id = `ping-${++this.#pings}`;
    this.#pendingPing = id;
    this.send({ action: 'ping', id });
    clearTimeout(this.#pongTimer);
    this.#pongTimer = setTimeout(() => this.#heartbeatTimeout(socket), this.#timing.pongTimeoutMs);
  }

  #heartbeatTimeout(socket: WebSocketLike): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    this.#stopTimers();
    socket.close(HEARTBEAT_CLOSE_CODE, 'heartbeat timeout');
    this.#retryOrStop(
      new HeraldClientError(
        'HEARTBEAT_TIMEOUT',
        `No pong within ${this.#timing.pongTimeoutMs} ms; reconnecting.`,
      ),
      true,
    );
  }

  /** Replaces the socket before API Gateway's 2-hour cut, without leaving `open`. */
  async #rotate(): Promise<void> {
    const epoch = this.#epoch;
    const current = this.#socket;
    const stillCurrent = () => epoch === this.#epoch && this.#_state === 'open' && this.#socket === current;
    try {
      await this.#openSocket(stillCurrent, (socket) => {
        if (!stillCurrent()) return false;
        this.#adopt(socket, 'rotate');
        return true;
      });
    } catch (err) {
      if (!stillCurrent()) return;
      const error = toClientError(err, 'NETWORK_ERROR', 'Replacing the WebSocket connection failed.');
      this.#hooks.onError(error);
      // The old socket still works until the server cuts it; try again later unless refused.
      if (!isAuthRefusal(error)) {
        this.#ageTimer = setTimeout(() => void this.#rotate(), this.#timing.maxReconnectDelayMs);
      }
    }
  }
}
