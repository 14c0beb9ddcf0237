import type { WebSocketConstructor } from '@herald/client-sdk';
import WebSocket from 'ws';

/** What a probe learned from one server frame, before the SDK saw it. */
export type SeenFrame =
  | {
      readonly kind: 'event';
      readonly jobId: string | undefined;
      readonly type: string;
      readonly seq: number;
    }
  | { readonly kind: 'resumed'; readonly jobId: string; readonly lastSeq: number }
  | { readonly kind: 'other' };

function readFrame(data: WebSocket.RawData): SeenFrame {
  try {
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data as ArrayBuffer).toString('utf8');
    const frame = JSON.parse(text) as {
      type?: unknown;
      jobId?: unknown;
      lastSeq?: unknown;
      event?: { type?: unknown; jobId?: unknown; seq?: unknown };
    };
    if (frame.type === 'event' && typeof frame.event?.type === 'string') {
      return {
        kind: 'event',
        jobId: typeof frame.event.jobId === 'string' ? frame.event.jobId : undefined,
        type: frame.event.type,
        seq: typeof frame.event.seq === 'number' ? frame.event.seq : -1,
      };
    }
    if (frame.type === 'resumed' && typeof frame.jobId === 'string') {
      return {
        kind: 'resumed',
        jobId: frame.jobId,
        lastSeq: typeof frame.lastSeq === 'number' ? frame.lastSeq : -1,
      };
    }
  } catch {
    // Not JSON: the SDK ignores it too.
  }
  return { kind: 'other' };
}

const TERMINAL = new Set(['job.succeeded', 'job.failed']);

/**
 * The sockets of ONE SDK client, seen from below the SDK: the `WebSocket` class it is given
 * records every instance (so the chaos can `terminate()` them: an abrupt drop with no close
 * frame, as a lost network does), and reads each server frame BEFORE the SDK's listener runs
 * (its listener is registered first), so when the SDK emits an event the probe knows which
 * frame, if any, carried it.
 */
export class SocketProbe {
  /** Sockets created and not yet closed (one, or two around a handshake). */
  readonly live = new Set<WebSocket>();
  /** Terminal job event frames that reached this client's sockets, per job. */
  readonly terminalFrames = new Map<string, number>();
  sockets = 0;
  #current: SeenFrame | undefined;

  /** The class to pass as the SDK's `WebSocket` option. */
  readonly WebSocket: WebSocketConstructor;

  constructor() {
    const probe = this;
    class ProbedWebSocket extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols, { perMessageDeflate: false });
        probe.sockets++;
        probe.live.add(this);
        this.on('message', (data) => probe.#frame(readFrame(data)));
        this.on('close', () => probe.live.delete(this));
        // A terminated handshake reports an error; the SDK's own listener handles it, this one
        // only keeps Node from treating an `error` without a listener as fatal.
        this.on('error', () => {});
      }
    }
    this.WebSocket = ProbedWebSocket as unknown as WebSocketConstructor;
  }

  /**
   * The frame being handled while the SDK emits (undefined outside a frame: a REST resync, a
   * timer). Listeners run synchronously per frame, so a microtask clears it after them.
   */
  get current(): SeenFrame | undefined {
    return this.#current;
  }

  /** An open socket of this client, if any. */
  open(): WebSocket | undefined {
    for (const socket of this.live) if (socket.readyState === WebSocket.OPEN) return socket;
    return undefined;
  }

  /** A socket still in its handshake (ticket redeemed, `$connect` possibly running), if any. */
  connecting(): WebSocket | undefined {
    for (const socket of this.live) if (socket.readyState === WebSocket.CONNECTING) return socket;
    return undefined;
  }

  #frame(frame: SeenFrame): void {
    if (frame.kind === 'event' && frame.jobId !== undefined && TERMINAL.has(frame.type)) {
      this.terminalFrames.set(frame.jobId, (this.terminalFrames.get(frame.jobId) ?? 0) + 1);
    }
    this.#current = frame;
    queueMicrotask(() => {
      if (this.#current === frame) this.#current = undefined;
    });
  }
}
