import { LIMITS } from '@herald/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  AUTH_CLOSE_CODES,
  DEFAULT_TIMINGS,
  HeraldClientError,
  type SocketEventMap,
  type WebSocketLike,
} from '../../src/index.ts';
import { closeClients, harness } from './support/client.ts';
import { FakeHerald, sleep, waitFor } from './support/fake-herald.ts';

let fake: FakeHerald;
beforeEach(async () => {
  fake = await FakeHerald.start();
});
afterEach(async () => {
  closeClients();
  await fake.close();
});

/** `ws` as a browser shows it: the `error` event of a refused handshake carries no text (no status). */
class BrowserLikeWebSocket implements WebSocketLike {
  readonly #socket: WebSocket;
  constructor(url: string, protocols?: string | string[]) {
    this.#socket = new WebSocket(url, protocols);
  }
  get readyState(): number {
    return this.#socket.readyState;
  }
  get protocol(): string {
    return this.#socket.protocol;
  }
  send(data: string): void {
    this.#socket.send(data);
  }
  close(code?: number, reason?: string): void {
    this.#socket.close(code, reason);
  }
  addEventListener<K extends keyof SocketEventMap>(
    type: K,
    listener: (event: SocketEventMap[K]) => void,
  ): void {
    const forward = type === 'error' ? () => listener({ type: 'error' } as SocketEventMap[K]) : listener;
    this.#socket.addEventListener(type, forward as never);
  }
}

describe('HeraldClient connection state machine', () => {
  it('goes idle → connecting → open with a fresh ticket, and open → closed on close()', async () => {
    const h = harness(fake);
    expect(h.client.state).toBe('idle');
    h.client.connect();
    await waitFor(() => h.client.state === 'open', 3000, 'open');
    expect(fake.connections).toHaveLength(1);
    const [connection] = fake.connections;
    expect(connection?.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(connection?.protocols).toEqual(['herald.v1']);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /realtime/tickets']);
    h.client.close();
    expect(h.transitions()).toEqual(['idle→connecting', 'connecting→open', 'open→closed']);
    await waitFor(() => connection?.closeCode === 1000, 2000, 'close frame');
  });

  it('reconnects with full-jitter backoff after a drop, growing the delay while attempts fail', async () => {
    const h = harness(fake, { minReconnectDelayMs: 20, maxReconnectDelayMs: 100 });
    h.client.connect();
    await waitFor(() => h.client.state === 'open');
    fake.refuseHandshakes.push(500, 502, 503);
    fake.drop();
    await waitFor(() => fake.open.length === 1 && fake.connections.length === 2, 5000, 'second connection');
    await waitFor(() => h.client.state === 'open');

    expect(h.transitions()).toEqual([
      'idle→connecting',
      'connecting→open',
      'open→reconnecting',
      'reconnecting→open',
    ]);
    // One retry per failure: the drop, then three refused handshakes.
    expect(h.retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
    h.retries.forEach(({ delayMs }, i) => {
      expect(delayMs).toBeGreaterThanOrEqual(20);
      expect(delayMs).toBeLessThanOrEqual(Math.min(100, 20 + 20 * 2 ** i));
    });
    const lost = h.states[2]?.error;
    expect(lost?.code).toBe('CONNECTION_LOST');
    expect(h.errors.map((e) => e.code)).toEqual([
      'CONNECTION_LOST',
      'NETWORK_ERROR',
      'NETWORK_ERROR',
      'NETWORK_ERROR',
    ]);
    expect(h.errors[1]?.status).toBe(500);
  });

  it('resets the backoff once a connection opens', async () => {
    const h = harness(fake);
    h.client.connect();
    await waitFor(() => h.client.state === 'open');
    fake.refuseHandshakes.push(500);
    fake.drop();
    await waitFor(() => fake.connections.length === 2 && h.client.state === 'open');
    fake.drop();
    await waitFor(() => fake.connections.length === 3 && h.client.state === 'open');
    expect(h.retries.map((r) => r.attempt)).toEqual([1, 2, 1]);
  });

  it('gets a fresh ticket with a fresh token on every reconnect', async () => {
    const h = harness(fake);
    h.client.connect();
    await waitFor(() => h.client.state === 'open');
    fake.drop();
    await waitFor(() => fake.open.length === 1 && fake.connections.length === 2 && h.client.state === 'open');
    fake.drop(1001, 'Going away');
    await waitFor(() => fake.open.length === 1 && fake.connections.length === 3 && h.client.state === 'open');

    const tickets = fake.connections.map((c) => c.ticket);
    expect(new Set(tickets).size).toBe(3);
    expect(fake.connections.map((c) => c.ticketToken)).toEqual(['token-1', 'token-2', 'token-3']);
    expect(fake.requests.filter((r) => r.path === '/realtime/tickets').map((r) => r.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-2',
      'Bearer token-3',
    ]);
    // An orderly close (1001, API Gateway's idle and age limits) is not reported as an error.
    expect(h.errors.map((e) => e.code)).toEqual(['CONNECTION_LOST']);
  });

  it('offers a fresh token as a subprotocol on every reconnect in subprotocol mode', async () => {
    const h = harness(fake, { auth: 'subprotocol' });
    h.client.connect();
    await waitFor(() => h.client.state === 'open');
    fake.drop();
    await waitFor(() => fake.open.length === 1 && fake.connections.length === 2 && h.client.state === 'open');
    expect(fake.connections.map((c) => c.protocols)).toEqual([
      ['herald.v1', 'token-1'],
      ['herald.v1', 'token-2'],
    ]);
    expect(fake.connections.every((c) => c.ticket === undefined)).toBe(true);
    expect(fake.requests).toEqual([]);
  });

  it('reconnects when a pong does not come in time, and not while pongs come', async () => {
    const h = harness(fake, { pingIntervalMs: 30, pongTimeoutMs: 40 });
    h.client.connect();
    await waitFor(() => h.client.state === 'open');
    await sleep(200);
    expect(fake.connections).toHaveLength(1);
    expect(fake.framesOf('ping').length).toBeGreaterThanOrEqual(3);

    fake.answerPings = false;
    await waitFor(
      () => fake.connections.length === 2 && fake.open.length === 1 && h.client.state === 'open',
      3000,
      'reconnect',
    );
    expect(h.errors.map((e) => e.code)).toContain('HEARTBEAT_TIMEOUT');
    expect(h.transitions()).toEqual([
      'idle→connecting',
      'connecting→open',
      'open→reconnecting',
      'reconnecting→open',
    ]);
    // The client gave up on the silent socket itself, with its heartbeat close code.
    await waitFor(() => fake.connections[0]?.closeCode === 4000, 2000, 'heartbeat close');
  });

  it('stops retrying when the handshake is refused with 401', async () => {
    const h = harness(fake, { auth: 'subprotocol' });
    fake.validToken = () => false;
    h.client.connect();
    await waitFor(() => h.client.state === 'closed');
    await sleep(150);
    expect(h.transitions()).toEqual(['idle→connecting', 'connecting→closed']);
    expect(h.retries).toEqual([]);
    expect(h.errors.map((e) => [e.code, e.status])).toEqual([['UNAUTHENTICATED', 401]]);
    expect(h.states.at(-1)?.error).toBeInstanceOf(HeraldClientError);
  });

  it('asks GET /me when the handshake fails without a status, as in a browser, and stops on its 401', async () => {
    const h = harness(fake, { auth: 'subprotocol', WebSocket: BrowserLikeWebSocket });
    fake.validToken = () => false;
    h.client.connect();
    await waitFor(() => h.client.state === 'closed');
    expect(h.transitions()).toEqual(['idle→connecting', 'connecting→closed']);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /me']);
    expect(h.errors.map((e) => [e.code, e.status])).toEqual([['UNAUTHENTICATED', 401]]);
  });

  it('reports a handshake that fails without a status, and with a valid token, by its close code', async () => {
    const h = harness(fake, { auth: 'subprotocol', WebSocket: BrowserLikeWebSocket });
    fake.refuseHandshakes.push(500);
    h.client.connect();
    await waitFor(() => h.client.state === 'open');
    expect(h.errors[0]?.code).toBe('NETWORK_ERROR');
    expect(h.errors[0]?.status).toBeUndefined();
    expect(h.errors[0]?.message).toMatch(/^The WebSocket handshake failed \(close code \d+\)\.$/);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /me']);
  });

  it('stops retrying when the ticket request is refused', async () => {
    const h = harness(fake);
    fake.hook = (req) =>
      req.path === '/realtime/tickets' ? { status: 403, body: { message: 'Forbidden' } } : undefined;
    h.client.connect();
    await waitFor(() => h.client.state === 'closed');
    await sleep(100);
    expect(fake.requests).toHaveLength(1);
    expect(h.errors.map((e) => e.code)).toEqual(['FORBIDDEN']);
  });

  it('stops retrying when the server closes with an auth close code', async () => {
    const h = harness(fake);
    h.client.connect();
    await waitFor(() => h.client.state === 'open');
    fake.drop(AUTH_CLOSE_CODES.UNAUTHENTICATED, 'token expired');
    await waitFor(() => h.client.state === 'closed');
    await sleep(100);
    expect(fake.connections).toHaveLength(1);
    expect(h.errors.map((e) => e.code)).toEqual(['UNAUTHENTICATED']);
    expect(h.errors[0]?.message).toContain('token expired');
  });

  it('stops retrying when getToken reports the user signed out', async () => {
    const h = harness(fake, { getToken: () => null });
    h.client.connect();
    await waitFor(() => h.client.state === 'closed');
    expect(h.errors.map((e) => e.code)).toEqual(['UNAUTHENTICATED']);
    expect(fake.requests).toEqual([]);
  });

  it('retries when getToken throws, reporting the cause', async () => {
    let calls = 0;
    const h = harness(fake, {
      getToken: () => {
        calls++;
        if (calls === 1) throw new Error('refresh endpoint down');
        return `token-${calls}`;
      },
    });
    h.client.connect();
    await waitFor(() => h.client.state === 'open');
    expect(h.errors[0]?.code).toBe('TOKEN_UNAVAILABLE');
    expect(h.errors[0]?.cause).toEqual(new Error('refresh endpoint down'));
    expect(h.transitions()).toEqual(['idle→connecting', 'connecting→reconnecting', 'reconnecting→open']);
  });

  it('can connect again after close()', async () => {
    const h = harness(fake);
    h.client.connect();
    await waitFor(() => h.client.state === 'open');
    h.client.close();
    h.client.connect();
    await waitFor(() => h.client.state === 'open' && fake.open.length === 1);
    expect(h.transitions()).toEqual([
      'idle→connecting',
      'connecting→open',
      'open→closed',
      'closed→connecting',
      'connecting→open',
    ]);
  });

  it('close() during a reconnect backoff cancels the pending attempt', async () => {
    const h = harness(fake, { minReconnectDelayMs: 100, maxReconnectDelayMs: 100 });
    h.client.connect();
    await waitFor(() => h.client.state === 'open');
    fake.drop();
    await waitFor(() => h.client.state === 'reconnecting');
    h.client.close();
    await sleep(250);
    expect(fake.connections).toHaveLength(1);
    expect(h.client.state).toBe('closed');
  });

  it('replaces the connection before its maximum age without leaving open', async () => {
    const h = harness(fake, { maxConnectionAgeMs: 120 });
    h.client.connect();
    await waitFor(() => h.client.state === 'open');
    await waitFor(() => fake.connections.length >= 3, 3000, 'two rotations');
    await waitFor(() => fake.open.length === 1);
    expect(h.transitions()).toEqual(['idle→connecting', 'connecting→open']);
    // Make before break: each replacement opened before its predecessor was closed.
    const [first, second] = fake.connections;
    expect(second?.openedAt).toBeLessThanOrEqual(first?.closedAt ?? Number.POSITIVE_INFINITY);
    expect(first?.closeCode).toBe(1000);
    expect(h.errors).toEqual([]);
  });

  it('refuses options that would break the API Gateway limits', () => {
    expect(() => harness(fake, { pingIntervalMs: LIMITS.wsIdleTimeoutMs })).toThrow(/idle timeout/);
    expect(() => harness(fake, { pingIntervalMs: LIMITS.wsIdleTimeoutMs - 1 })).not.toThrow();
    expect(() => harness(fake, { maxConnectionAgeMs: LIMITS.wsMaxConnectionAgeMs })).toThrow(/2-hour/);
    expect(() => harness(fake, { maxConnectionAgeMs: LIMITS.wsMaxConnectionAgeMs - 1 })).not.toThrow();
    expect(DEFAULT_TIMINGS.pingIntervalMs).toBeLessThan(LIMITS.wsIdleTimeoutMs);
    expect(DEFAULT_TIMINGS.maxConnectionAgeMs).toBeLessThan(LIMITS.wsMaxConnectionAgeMs);
    expect(() => harness(fake, { wsUrl: 'http://x' })).toThrow(
      'wsUrl must be a ws:// or wss:// URL, not "http://x".',
    );
    expect(() => harness(fake, { minReconnectDelayMs: 10, maxReconnectDelayMs: 5 })).toThrow(
      HeraldClientError,
    );
  });
});
