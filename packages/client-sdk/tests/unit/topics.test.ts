import type { SocketEventMap, WebSocketLike } from '@herald/client-sdk';
import { describe, expect, it } from 'vitest';
import { openTopics, SeqCursor } from '../../src/topics.ts';

/** An in-memory socket: records what the client sends; the test plays the server. */
class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  readonly protocol = 'herald.v1';
  readonly sent: Array<Record<string, unknown>> = [];
  readonly #listeners = new Map<string, Array<(event: never) => void>>();

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeSocket.all.push(this);
    setTimeout(() => {
      this.readyState = 1;
      this.#emit('open', {});
    }, 0);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code = 1000, reason = ''): void {
    this.readyState = 3;
    this.#emit('close', { code, reason });
  }

  addEventListener<K extends keyof SocketEventMap>(
    type: K,
    listener: (event: SocketEventMap[K]) => void,
  ): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener as (event: never) => void]);
  }

  /** The server sends a frame. */
  push(frame: unknown): void {
    this.#emit('message', { data: JSON.stringify(frame) });
  }

  #emit(type: string, event: unknown): void {
    for (const listener of this.#listeners.get(type) ?? []) (listener as (e: unknown) => void)(event);
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
const event = (topic: string, seq: number) => ({
  topic,
  seq,
  at: '2026-12-05T03:00:00.000Z',
  title: `#${seq}`,
  body: '',
});
let tickets = 0;
const client = {
  createTicket: async () => ({ ticket: `t${++tickets}`, expiresAt: '2026-12-05T04:00:00.000Z' }),
};

describe('SeqCursor', () => {
  it('accepts each seq once, in increasing order, from afterSeq on', () => {
    const cursor = new SeqCursor(2);
    expect([1, 2, 3, 3, 5, 4, 6].map((seq) => cursor.accept({ seq }))).toEqual([
      false,
      false,
      true,
      false,
      true,
      false,
      true,
    ]);
    expect(cursor.lastSeq).toBe(6);
  });
});

describe('openTopics', () => {
  it('connects with a ticket, subscribes and resumes, and yields each seq once', async () => {
    FakeSocket.all = [];
    const topics = openTopics(client, { wsUrl: 'ws://h/prod', WebSocket: FakeSocket, reconnectDelayMs: 1 });
    const news = topics.subscribe('announcements');
    await tick();
    const socket = FakeSocket.all[0] as FakeSocket;
    expect(socket.url).toMatch(/^ws:\/\/h\/prod\?ticket=t\d+$/);
    expect(socket.sent).toEqual([
      { action: 'subscribe', id: 'topic-1', topic: 'announcements' },
      { action: 'resume', id: 'topic-1', topic: 'announcements', afterSeq: 0 },
    ]);
    for (const seq of [1, 2, 2, 1, 3]) socket.push({ type: 'topic', event: event('announcements', seq) });
    socket.push({ type: 'topic', event: event('other', 9) });
    const got = [(await news.next()).value.seq, (await news.next()).value.seq, (await news.next()).value.seq];
    expect(got).toEqual([1, 2, 3]);
    expect(news.lastSeq).toBe(3);
    topics.close();
    expect(await news.next()).toEqual({ done: true, value: undefined });
  });

  it('reconnects after a drop, resubscribing and resuming after the last seq', async () => {
    FakeSocket.all = [];
    const topics = openTopics(client, { wsUrl: 'ws://h/prod', WebSocket: FakeSocket, reconnectDelayMs: 1 });
    const news = topics.subscribe('announcements');
    await tick();
    const first = FakeSocket.all[0] as FakeSocket;
    first.push({ type: 'topic', event: event('announcements', 4) });
    expect((await news.next()).value.seq).toBe(4);
    first.close(1006, 'dropped');
    await tick();
    await tick();
    const second = FakeSocket.all[1] as FakeSocket;
    expect(second.url).not.toBe(first.url);
    expect(second.sent).toContainEqual({
      action: 'resume',
      id: 'topic-1',
      topic: 'announcements',
      afterSeq: 4,
    });
    // The replay overlaps what arrived live: only the new seq comes out.
    second.push({ type: 'topic', event: event('announcements', 4) });
    second.push({ type: 'topic', event: event('announcements', 5) });
    expect((await news.next()).value.seq).toBe(5);
    topics.close();
  });

  it('ends a refused subscription with the server’s error (FORBIDDEN) and unsubscribes on close', async () => {
    FakeSocket.all = [];
    const topics = openTopics(client, { wsUrl: 'ws://h/prod', WebSocket: FakeSocket, reconnectDelayMs: 1 });
    const secret = topics.subscribe('group:ops');
    const news = topics.subscribe('announcements');
    await tick();
    const socket = FakeSocket.all[0] as FakeSocket;
    socket.push({
      type: 'error',
      id: 'topic-1',
      error: { code: 'FORBIDDEN', message: 'You are not granted the topic group:ops.' },
    });
    await expect(secret.next()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    news.close();
    expect(socket.sent.at(-1)).toEqual({ action: 'unsubscribe', topic: 'announcements' });
    expect(await news.next()).toEqual({ done: true, value: undefined });
    topics.close();
  });
});
