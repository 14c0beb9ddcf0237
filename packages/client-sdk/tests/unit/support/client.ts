import WebSocket from 'ws';
import type { HeraldClientError, HeraldEvent, StateChange } from '../../../src/index.ts';
import { createHeraldClient, type HeraldClient, type HeraldClientOptions } from '../../../src/index.ts';
import type { FakeHerald } from './fake-herald.ts';

/** A client against a fake server, recording what it emits. Tokens are `token-1`, `token-2`, … */
export interface Harness {
  readonly client: HeraldClient;
  readonly states: StateChange[];
  readonly errors: HeraldClientError[];
  readonly events: HeraldEvent[];
  readonly retries: { attempt: number; delayMs: number }[];
  readonly tokens: string[];
  /** `from→to` strings, for compact assertions. */
  transitions(): string[];
}

const open: HeraldClient[] = [];

export function harness(fake: FakeHerald, options: Partial<HeraldClientOptions> = {}): Harness {
  const tokens: string[] = [];
  const client = createHeraldClient({
    apiUrl: fake.apiUrl,
    wsUrl: fake.wsUrl,
    getToken: () => {
      const token = `token-${tokens.length + 1}`;
      tokens.push(token);
      return token;
    },
    WebSocket,
    minReconnectDelayMs: 20,
    maxReconnectDelayMs: 160,
    pollIntervalMs: 60_000,
    ...options,
  });
  open.push(client);
  const h: Harness = {
    client,
    states: [],
    errors: [],
    events: [],
    retries: [],
    tokens,
    transitions: () => h.states.map((s) => `${s.from}→${s.to}`),
  };
  client.on('state', (s) => h.states.push(s));
  client.on('error', (e) => h.errors.push(e));
  client.on('event', (e) => h.events.push(e));
  client.on('retry', (r) => h.retries.push({ attempt: r.attempt, delayMs: r.delayMs }));
  return h;
}

/** Closes every client the harness made (call in afterEach). */
export function closeClients(): void {
  for (const client of open.splice(0)) client.close();
}
