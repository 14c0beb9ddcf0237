import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  buildPublisherDeps,
  CONNECTIONS_TABLE,
  createPublisher,
  DEVICES_TABLE,
  DynamoConnectionStore,
  DynamoDeviceStore,
  DynamoJobEventLog,
  DynamoTicketStore,
  issueTicket,
  JOB_EVENTS_TABLE,
  loadPublisherConfig,
  type Publisher,
  TICKETS_TABLE,
} from '@herald/realtime';
import WebSocket from 'ws';
import { stack } from '../support.ts';

// Helpers for the realtime integration tests (realtime-*.test.ts). The publisher runs in the
// TEST process, built through @herald/realtime's public API from the stack's endpoints; the
// handlers run inside the stack, as on Lambda.

// The test process's SDK clients use the local servers; dummy credentials keep a developer's
// real AWS profile out of it.
process.env.AWS_ACCESS_KEY_ID ??= 'local';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

export interface RealtimeFixture {
  readonly documents: DynamoDBDocumentClient;
  readonly connections: DynamoConnectionStore;
  readonly devices: DynamoDeviceStore;
  readonly tickets: DynamoTicketStore;
  readonly eventLog: DynamoJobEventLog;
  readonly publisher: Publisher;
  close(): void;
}

/** Stores and a publisher on the run's local stack (the same tables the handlers use). */
export function realtimeFixture(): RealtimeFixture {
  const s = stack();
  const tables = s.dynamodb.tables;
  const table = (id: string): string => {
    const name = tables[id];
    if (name === undefined) throw new Error(`the local stack has no ${id} table`);
    return name;
  };
  const raw = new DynamoDBClient({ endpoint: s.dynamodb.endpoint, region: 'us-east-1' });
  const documents = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const config = loadPublisherConfig({
    AWS_REGION: 'us-east-1',
    HERALD_CONNECTIONS_TABLE: table(CONNECTIONS_TABLE.id),
    HERALD_DEVICES_TABLE: table(DEVICES_TABLE.id),
    HERALD_JOB_EVENTS_TABLE: table(JOB_EVENTS_TABLE.id),
    HERALD_DYNAMODB_ENDPOINT: s.dynamodb.endpoint,
    HERALD_WS_MANAGEMENT_ENDPOINT: s.managementEndpoint,
    HERALD_PUSH_OUTBOX_URL: `${s.localUrl}/_local/pushes`,
    HERALD_LOG_LEVEL: 'error',
  });
  return {
    documents,
    connections: new DynamoConnectionStore({ client: documents, tableName: table(CONNECTIONS_TABLE.id) }),
    devices: new DynamoDeviceStore({ client: documents, tableName: table(DEVICES_TABLE.id) }),
    tickets: new DynamoTicketStore({ client: documents, tableName: table(TICKETS_TABLE.id) }),
    eventLog: new DynamoJobEventLog({ client: documents, tableName: table(JOB_EVENTS_TABLE.id) }),
    publisher: createPublisher(buildPublisherDeps(config)),
    close: () => raw.destroy(),
  };
}

/** A user no other test file knows: keeps parallel files from seeing each other's events. */
export function newUserId(): string {
  return `it-user-${randomUUID()}`;
}

/** A WebSocket client that keeps every frame it receives. */
export class Client {
  readonly frames: Array<Record<string, unknown>> = [];
  readonly #waiters = new Set<() => void>();

  constructor(
    readonly ws: WebSocket,
    readonly userId: string,
    readonly connectionId: string,
  ) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Record<string, unknown>);
      for (const wake of this.#waiters) wake();
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Resolves with the first frame (from `from` on) that matches, within `timeoutMs`. */
  async waitFor(
    match: (frame: Record<string, unknown>) => boolean,
    options: { from?: number; timeoutMs?: number } = {},
  ): Promise<Record<string, unknown>> {
    const { from = 0, timeoutMs = 5000 } = options;
    const find = () => this.frames.slice(from).find(match);
    const found = find();
    if (found) return found;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames)}`));
      }, timeoutMs);
      const check = () => {
        const hit = find();
        if (hit === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(hit);
      };
      this.#waiters.add(check);
    });
  }

  /**
   * Sends a ping and waits for its pong: whatever was posted to this socket before the ping
   * has arrived (one socket keeps order). It does NOT wait for the handlers of frames sent
   * before it: `$default` invocations run concurrently, on AWS as locally.
   */
  async barrier(): Promise<void> {
    const id = `barrier-${randomBytes(4).toString('hex')}`;
    this.send({ action: 'ping', id });
    await this.waitFor((f) => f.type === 'pong' && f.id === id);
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Opens a WebSocket to the local gateway; rejects with the handshake status when refused. */
export function openSocket(query = '', protocols: string[] = []): Promise<WebSocket> {
  const ws = new WebSocket(`${stack().wsUrl}${query}`, protocols);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`handshake refused: ${res.statusCode}`));
      ws.terminate();
    });
    ws.once('error', reject);
  });
}

/**
 * Connects as `userId` with a one-time ticket written straight to the tickets table (as
 * `POST /realtime/tickets` writes it), so a test can use users no other file knows.
 */
export async function connectAs(fixture: RealtimeFixture, userId: string): Promise<Client> {
  const before = new Set(
    (await fixture.connections.listByUser(userId, Date.now())).map((c) => c.connectionId),
  );
  const { ticket, record } = issueTicket({
    identity: { userId, username: userId, groups: [] },
    now: Date.now(),
    randomBytes: (n) => randomBytes(n),
  });
  await fixture.tickets.put(record);
  const ws = await openSocket(`?ticket=${ticket}`);
  const added = (await fixture.connections.listByUser(userId, Date.now()))
    .map((c) => c.connectionId)
    .filter((id) => !before.has(id));
  if (added.length !== 1) throw new Error(`expected one new connection for ${userId}, found ${added.length}`);
  return new Client(ws, userId, added[0] as string);
}

/** The pushes the local outbox recorded for a user. */
export async function pushesOf(userId: string): Promise<Array<Record<string, unknown>>> {
  const res = await fetch(`${stack().localUrl}/_local/pushes?userId=${encodeURIComponent(userId)}`);
  return (await res.json()) as Array<Record<string, unknown>>;
}

const at = () => new Date().toISOString();

/** Valid events for a job, by kind, with the given seq. */
export const jobEvent = {
  queued: (jobId: string, seq: number) => ({
    type: 'job.queued' as const,
    seq,
    at: at(),
    jobId,
    dataset: 'sales',
  }),
  progress: (jobId: string, seq: number, percent = 50) => ({
    type: 'job.progress' as const,
    seq,
    at: at(),
    jobId,
    bytesRead: percent * 10,
    bytesTotal: 1000,
    rowsProcessed: percent,
    percent,
    rowsPerSecond: 100,
    etaSeconds: 1,
  }),
  succeeded: (jobId: string, seq: number) => ({
    type: 'job.succeeded' as const,
    seq,
    at: at(),
    jobId,
    rowsLoaded: 100,
    rowsRejected: 0,
    durationMs: 1500,
  }),
};
