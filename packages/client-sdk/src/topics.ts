import type { ClientAction, ServerFrame, TopicEvent } from '@herald/protocol/wire';
import { HERALD_SUBPROTOCOL } from '@herald/protocol/wire';
import type { HeraldClient } from './client.ts';
import { HeraldClientError } from './errors.ts';
import type { WebSocketConstructor, WebSocketLike } from './frames.ts';

// `@herald/client-sdk/topics`: shared topics (`announcements`, `group:<name>`, …). Kept out of the
// core entry, which sits at its size budget: topics use their own WebSocket, authenticated with a
// one-time ticket from the client (`client.createTicket()`), so the core connection and its job
// tracking are untouched. Each topic's events arrive in `seq` order per topic; a fan-out shard
// may be delivered twice, so events whose `seq` was already seen are dropped; after a reconnect
// every topic is resubscribed and resumed from its last `seq`.

/**
 * Options of {@link openTopics}.
 *
 * @example
 * const topics = openTopics(client, { wsUrl: 'wss://ws.example.com/prod', WebSocket });
 */
export interface TopicsOptions {
  /** The WebSocket API's URL, as given to `createHeraldClient`. */
  readonly wsUrl: string;
  /** @default globalThis.WebSocket */
  readonly WebSocket?: WebSocketConstructor;
  /** Delay before reconnecting after the socket closed. @default 1000 */
  readonly reconnectDelayMs?: number;
}

/**
 * One topic subscription: an async iterator of the topic's events (each `seq` once, in order),
 * ended by {@link TopicSubscription.close} (or `break` in a `for await`).
 *
 * @example
 * for await (const event of topics.subscribe('announcements')) console.log(event.title);
 */
export interface TopicSubscription extends AsyncIterableIterator<TopicEvent> {
  /** The last `seq` received (0: none yet); a reconnect resumes after it. */
  readonly lastSeq: number;
  /** Unsubscribes and ends the iterator. */
  close(): void;
}

/**
 * Shared-topic subscriptions over one WebSocket of a client.
 *
 * @example
 * const topics = openTopics(client, { wsUrl });
 * const news = topics.subscribe('announcements');
 */
export interface Topics {
  /**
   * Subscribes to a topic; `afterSeq` replays the topic log's events after it first. A topic the
   * user is not granted ends the iterator with a `HeraldClientError` (`FORBIDDEN`).
   */
  subscribe(topic: string, options?: { readonly afterSeq?: number }): TopicSubscription;
  /** Closes the socket and ends every subscription. */
  close(): void;
}

/**
 * Drops events already seen, by `seq` (a redelivered fan-out shard, a replay overlapping live
 * events), and remembers the last `seq` to resume from.
 *
 * @example
 * const cursor = new SeqCursor();
 * cursor.accept(event); // true the first time, false for the same seq again
 */
export class SeqCursor {
  #lastSeq: number;

  constructor(afterSeq = 0) {
    this.#lastSeq = afterSeq;
  }

  /** The last `seq` accepted. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Whether the event is new: its `seq` is above the last one accepted. */
  accept(event: { readonly seq: number }): boolean {
    if (event.seq <= this.#lastSeq) return false;
    this.#lastSeq = event.seq;
    return true;
  }
}

interface Subscriber {
  readonly topic: string;
  /** The frame id of its subscribe and resume (a topic name may be longer than an id may be). */
  readonly id: string;
  readonly cursor: SeqCursor;
  readonly queue: TopicEvent[];
  wake: (() => void) | undefined;
  closed: boolean;
  /** Why the server refused the subscription (no grant: `FORBIDDEN`); the iterator throws it. */
  error: HeraldClientError | undefined;
}

const OPEN = 1;

/**
 * Opens the topics socket of a client: subscriptions share it; it reconnects (a fresh ticket each
 * time) while any subscription is open, resubscribing and resuming each topic after its last `seq`.
 *
 * @example
 * import { openTopics } from '@herald/client-sdk/topics';
 *
 * const topics = openTopics(client, { wsUrl, WebSocket });
 * for await (const event of topics.subscribe('announcements')) show(event.title, event.body);
 */
export function openTopics(client: Pick<HeraldClient, 'createTicket'>, options: TopicsOptions): Topics {
  const WebSocketClass = options.WebSocket ?? (globalThis.WebSocket as WebSocketConstructor | undefined);
  if (WebSocketClass === undefined) throw new TypeError('openTopics needs a WebSocket implementation.');
  const reconnectDelayMs = options.reconnectDelayMs ?? 1000;
  const subscribers = new Set<Subscriber>();
  let socket: WebSocketLike | undefined;
  let connecting = false;
  let stopped = false;
  let subscriptions = 0;

  const send = (action: ClientAction) => {
    if (socket?.readyState === OPEN) socket.send(JSON.stringify(action));
  };
  // The frame id names the subscription, so a refusal finds it.
  const join = (s: Subscriber) => {
    send({ action: 'subscribe', id: s.id, topic: s.topic });
    send({ action: 'resume', id: s.id, topic: s.topic, afterSeq: s.cursor.lastSeq });
  };
  const onFrame = (data: unknown) => {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(String(data)) as ServerFrame;
    } catch {
      return;
    }
    if (frame.type === 'error' && frame.id !== undefined) {
      for (const s of subscribers) {
        if (s.id !== frame.id) continue;
        s.error = HeraldClientError.fromEnvelope(frame.error);
        end(s);
      }
      return;
    }
    if (frame.type !== 'topic') return;
    for (const s of subscribers) {
      if (s.topic !== frame.event.topic || !s.cursor.accept(frame.event)) continue;
      s.queue.push(frame.event);
      s.wake?.();
    }
  };
  const connect = async () => {
    if (connecting || stopped || subscribers.size === 0) return;
    connecting = true;
    try {
      const { ticket } = await client.createTicket();
      const url = `${options.wsUrl}${options.wsUrl.includes('?') ? '&' : '?'}ticket=${encodeURIComponent(ticket)}`;
      const ws = new WebSocketClass(url, [HERALD_SUBPROTOCOL]);
      socket = ws;
      ws.addEventListener('open', () => {
        for (const s of subscribers) join(s);
      });
      ws.addEventListener('message', (event) => onFrame(event.data));
      ws.addEventListener('close', () => {
        if (socket === ws) socket = undefined;
        if (!stopped) setTimeout(() => void connect(), reconnectDelayMs);
      });
    } catch {
      if (!stopped) setTimeout(() => void connect(), reconnectDelayMs);
    } finally {
      connecting = false;
    }
  };

  const end = (s: Subscriber) => {
    if (s.closed) return;
    s.closed = true;
    subscribers.delete(s);
    send({ action: 'unsubscribe', topic: s.topic });
    s.wake?.();
  };

  return {
    subscribe(topic, subscribeOptions = {}) {
      const s: Subscriber = {
        topic,
        id: `topic-${++subscriptions}`,
        cursor: new SeqCursor(subscribeOptions.afterSeq ?? 0),
        queue: [],
        wake: undefined,
        closed: false,
        error: undefined,
      };
      subscribers.add(s);
      if (socket === undefined) void connect();
      else join(s);
      const iterator: TopicSubscription = {
        get lastSeq() {
          return s.cursor.lastSeq;
        },
        close: () => end(s),
        next: async () => {
          while (s.queue.length === 0 && !s.closed) {
            await new Promise<void>((resolve) => {
              s.wake = resolve;
            });
            s.wake = undefined;
          }
          const value = s.queue.shift();
          if (value !== undefined) return { done: false, value };
          if (s.error !== undefined) throw s.error;
          return { done: true, value: undefined };
        },
        return: async () => {
          end(s);
          return { done: true, value: undefined };
        },
        [Symbol.asyncIterator]() {
          return iterator;
        },
      };
      return iterator;
    },
    close() {
      stopped = true;
      for (const s of [...subscribers]) end(s);
      socket?.close(1000, 'topics closed');
      socket = undefined;
    },
  };
}
