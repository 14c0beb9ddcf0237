import type { HeraldEvent, ServerFrame } from '@herald/protocol/wire';

/**
 * Events a socket reports, reduced to the fields the client reads (browser `WebSocket` and `ws` both fit).
 *
 * @example
 * socket.addEventListener('close', (event: SocketEventMap['close']) => console.log(event.code));
 */
export interface SocketEventMap {
  open: unknown;
  message: { readonly data: unknown };
  close: { readonly code: number; readonly reason: string };
  error: unknown;
}

/**
 * What the client needs of a WebSocket: the browser's `WebSocket` and the `ws` package's class
 * both satisfy it.
 *
 * @example
 * const socket: WebSocketLike = new WebSocket('wss://ws.example.com/prod?ticket=…');
 */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener<K extends keyof SocketEventMap>(
    type: K,
    listener: (event: SocketEventMap[K]) => void,
  ): void;
}

/**
 * A WebSocket class: `globalThis.WebSocket` in browsers (and Node ≥ 22), `ws`'s default export
 * in Node 20.
 *
 * @example
 * import WebSocket from 'ws';
 * createHeraldClient({ apiUrl, wsUrl, getToken, WebSocket });
 */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A minimal structural check of an event: a known-looking `type`, a `seq` and a job or request id. */
export function isHeraldEvent(value: unknown): value is HeraldEvent {
  if (!isObject(value)) return false;
  if (typeof value.type !== 'string' || typeof value.seq !== 'number' || typeof value.at !== 'string')
    return false;
  return typeof value.jobId === 'string' || typeof value.requestId === 'string';
}

/**
 * Parses a server frame with light hand-written guards (the protocol's zod schemas would add
 * ~15 kB gzipped to every browser bundle). Unknown frame types are dropped for forward
 * compatibility; `undefined` means "ignore this frame".
 */
export function parseServerFrame(data: unknown): ServerFrame | undefined {
  if (typeof data !== 'string') return undefined;
  let frame: unknown;
  try {
    frame = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!isObject(frame)) return undefined;
  switch (frame.type) {
    case 'event':
      return isHeraldEvent(frame.event) ? (frame as unknown as ServerFrame) : undefined;
    case 'pong':
      return frame as unknown as ServerFrame;
    case 'error':
      return isObject(frame.error) && typeof frame.error.code === 'string'
        ? (frame as unknown as ServerFrame)
        : undefined;
    case 'resumed':
      return typeof frame.jobId === 'string' && typeof frame.lastSeq === 'number'
        ? (frame as unknown as ServerFrame)
        : undefined;
    case 'subscribed':
      // The core tracks job acknowledgements only; one of a topic (a per-user view; shared topics
      // live in the `/topics` entry, on their own socket) is dropped.
      return typeof frame.jobId === 'string' ? (frame as unknown as ServerFrame) : undefined;
    default:
      return undefined;
  }
}

/** The key the client dedupes an event under: its job, or its file request. */
export function streamKey(event: HeraldEvent): string {
  return event.type === 'file.ready' ? `file:${event.requestId}` : event.jobId;
}
