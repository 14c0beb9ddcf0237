import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type {
  ClientAction,
  ErrorEnvelope,
  HeraldEvent,
  JobView,
  RowError,
  ServerFrame,
} from '@herald/protocol';
import { type RawData, WebSocket, WebSocketServer } from 'ws';

const FINAL_STATES: ReadonlySet<JobView['state']> = new Set([
  'succeeded',
  'failed',
  'validated',
  'cancelled',
]);
/** One WebSocket connection the fake server accepted. */
export interface FakeConnection {
  readonly index: number;
  readonly socket: WebSocket;
  readonly url: URL;
  readonly protocols: readonly string[];
  /** The ticket it connected with, and the bearer token that ticket was issued to. */
  readonly ticket: string | undefined;
  readonly ticketToken: string | undefined;
  /** The JWT offered as a subprotocol, if any. */
  readonly subprotocolToken: string | undefined;
  readonly frames: ClientAction[];
  readonly openedAt: number;
  closedAt?: number;
  closeCode?: number;
}

/** One REST request the fake server answered. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: unknown;
  readonly at: number;
}

export type RestReply = { status: number; body?: unknown; raw?: string };

/** A route override: return a reply to answer, undefined to fall through to the default behaviour. */
export type RestHook = (req: RecordedRequest) => RestReply | undefined | Promise<RestReply | undefined>;

/**
 * An in-process stand-in for the Herald REST + WebSocket APIs on port 0: it records every frame
 * and request, can refuse handshakes, drop connections, ignore pings, and replays a per-job
 * event log on `resume`, as the real server does.
 */
export class FakeHerald {
  readonly connections: FakeConnection[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly jobs = new Map<string, JobView>();
  readonly rowErrors = new Map<string, RowError[]>();
  readonly uploads = new Map<string, Buffer>();
  /** Headers of each upload PUT. */
  readonly uploadHeaders = new Map<string, IncomingMessage['headers']>();
  /** When set, the fake presigned URL answers with this instead of storing the bytes. */
  uploadReply: RestReply | undefined;
  /** Every job's published events, for `resume`. */
  readonly log = new Map<string, HeraldEvent[]>();
  /** Tickets issued, with the token that asked for each; single use. */
  readonly tickets = new Map<string, { token: string; used: boolean }>();
  /** Handshake status to refuse the next upgrades with (shifted per attempt); `undefined` accepts. */
  readonly refuseHandshakes: number[] = [];
  /** Tokens the server accepts (any non-empty one when unset). */
  validToken: (token: string) => boolean = (token) => token !== '';
  answerPings = true;
  answerResume = true;
  /**
   * How `subscribe {jobId}` is answered: `subscribed` at once, as the real server does once the
   * subscription is stored; `'none'` (a test acknowledges later with {@link acknowledge}); or
   * this error envelope. Topic subscriptions get no answer, as on the real server.
   */
  subscribeReply: 'ack' | 'none' | ErrorEnvelope = 'ack';
  /** When each upload PUT reached the fake presigned URL (before its body was read). */
  readonly uploadStartedAt = new Map<string, number>();
  /** Called when a file's bytes arrive at the fake presigned URL. */
  onUploaded: (jobId: string, bytes: Buffer) => void = () => {};
  hook: RestHook | undefined;
  apiUrl = '';
  wsUrl = '';
  private readonly server: Server;
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => (offered.has('herald.v1') ? 'herald.v1' : false),
  });

  private constructor() {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  static async start(): Promise<FakeHerald> {
    const fake = new FakeHerald();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    const { port } = fake.server.address() as AddressInfo;
    fake.apiUrl = `http://127.0.0.1:${port}/api`;
    fake.wsUrl = `ws://127.0.0.1:${port}/ws`;
    return fake;
  }

  /** Open connections. */
  get open(): FakeConnection[] {
    return this.connections.filter((c) => c.socket.readyState === WebSocket.OPEN);
  }

  /** Client frames of one action type, across connections. */
  framesOf(action: ClientAction['action']): { connection: number; frame: ClientAction }[] {
    return this.connections.flatMap((c) =>
      c.frames.filter((f) => f.action === action).map((frame) => ({ connection: c.index, frame })),
    );
  }

  /** Appends an event to its job's log and, when `live`, sends it to every open connection. */
  publish(event: HeraldEvent, live = true): void {
    if (event.type !== 'file.ready') {
      const events = this.log.get(event.jobId) ?? [];
      events.push(event);
      this.log.set(event.jobId, events);
    }
    if (live) for (const c of this.open) this.send(c, { type: 'event', event });
  }

  send(connection: FakeConnection, frame: ServerFrame): void {
    connection.socket.send(JSON.stringify(frame));
  }

  /** Sends `subscribed` for a job on a connection, as a (possibly late) acknowledgement. */
  acknowledge(connection: FakeConnection, jobId: string, id?: string): void {
    this.send(
      connection,
      id === undefined ? { type: 'subscribed', jobId } : { type: 'subscribed', id, jobId },
    );
  }

  /** Cuts every open connection: `terminate` (no close frame, code 1006) or a close with `code`. */
  drop(code?: number, reason = ''): void {
    for (const c of this.open) {
      if (code === undefined) c.socket.terminate();
      else c.socket.close(code, reason);
    }
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Stores a job as GET /jobs/{id} shows it (a final state gets its `finishedAt`). */
  setJob(jobId: string, patch: Partial<JobView> = {}): JobView {
    const now = new Date().toISOString();
    const job: JobView = {
      jobId,
      dataset: 'transactions',
      fileName: 'rows.csv',
      sizeBytes: 10,
      state: 'processing',
      dryRun: false,
      rowsLoaded: 0,
      rowsRejected: 0,
      error: null,
      createdAt: now,
      updatedAt: now,
      startedAt: now,
      finishedAt: null,
      ...this.jobs.get(jobId),
      ...patch,
    };
    // As the server's job rows: finished exactly when the state is final (a CHECK there).
    if (FINAL_STATES.has(job.state) && job.finishedAt === null) job.finishedAt = now;
    this.jobs.set(jobId, job);
    return job;
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const refuse = (status: number) => {
      socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const forced = this.refuseHandshakes.shift();
    if (forced !== undefined) {
      refuse(forced);
      return;
    }
    const protocols = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const ticket = url.searchParams.get('ticket') ?? undefined;
    const subprotocolToken = protocols.find((p) => p !== 'herald.v1');
    let ticketToken: string | undefined;
    if (ticket !== undefined) {
      const issued = this.tickets.get(ticket);
      if (!issued || issued.used) {
        refuse(401);
        return;
      }
      issued.used = true;
      ticketToken = issued.token;
    } else if (subprotocolToken === undefined || !this.validToken(subprotocolToken)) {
      refuse(401);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const connection: FakeConnection = {
        index: this.connections.length,
        socket: ws,
        url,
        protocols,
        ticket,
        ticketToken,
        subprotocolToken,
        frames: [],
        openedAt: Date.now(),
      };
      this.connections.push(connection);
      ws.on('message', (data: RawData) => this.onFrame(connection, data.toString()));
      ws.on('close', (code) => {
        connection.closedAt = Date.now();
        connection.closeCode = code;
      });
    });
  }

  private onFrame(connection: FakeConnection, raw: string): void {
    const frame = JSON.parse(raw) as ClientAction;
    connection.frames.push(frame);
    if (frame.action === 'ping' && this.answerPings) {
      this.send(connection, { type: 'pong', id: frame.id, at: new Date().toISOString() });
    }
    if (frame.action === 'subscribe' && 'jobId' in frame && this.subscribeReply !== 'none') {
      const reply = this.subscribeReply;
      if (reply === 'ack') this.acknowledge(connection, frame.jobId, frame.id);
      else this.send(connection, { type: 'error', id: frame.id, error: reply });
    }
    if (frame.action === 'resume' && frame.jobId !== undefined && this.answerResume) {
      const { jobId } = frame;
      const events = (this.log.get(jobId) ?? []).filter((e) => e.seq > frame.afterSeq);
      for (const event of events) this.send(connection, { type: 'event', event });
      const lastSeq = this.log.get(jobId)?.at(-1)?.seq ?? -1;
      this.send(connection, { type: 'resumed', id: frame.id, jobId, lastSeq });
    }
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url?.startsWith('/s3/')) this.uploadStartedAt.set(req.url.slice(4), Date.now());
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      // The client went away mid-body (an aborted upload): nothing to answer.
      return;
    }
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.replace(/^\/api/, '') + url.search;
    let body: unknown;
    if (req.headers['content-type']?.includes('json') && raw.length > 0) body = JSON.parse(raw.toString());
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path,
      authorization: req.headers.authorization,
      body,
      at: Date.now(),
    };
    if (url.pathname.startsWith('/s3/')) {
      const jobId = url.pathname.slice(4);
      this.uploadHeaders.set(jobId, req.headers);
      if (this.uploadReply) {
        res
          .writeHead(this.uploadReply.status, { 'content-type': 'application/xml' })
          .end(this.uploadReply.raw ?? '');
        return;
      }
      this.uploads.set(jobId, raw);
      res.writeHead(200).end();
      this.onUploaded(jobId, raw);
      return;
    }
    this.requests.push(record);
    const reply = (await this.hook?.(record)) ?? this.route(record);
    const text = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
    res.writeHead(reply.status, reply.raw === undefined ? { 'content-type': 'application/json' } : {});
    res.end(text);
  }

  private route(req: RecordedRequest): RestReply {
    const token = req.authorization?.replace(/^Bearer /, '') ?? '';
    if (!this.validToken(token)) return { status: 401, body: envelope('UNAUTHENTICATED', 'Sign in.') };
    const [path = ''] = req.path.split('?');
    const jobMatch = /^\/jobs\/([^/]+)(\/errors)?$/.exec(path);
    if (req.method === 'POST' && path === '/realtime/tickets') {
      const ticket = randomBytes(32).toString('base64url');
      this.tickets.set(ticket, { token, used: false });
      return { status: 201, body: { ticket, expiresAt: new Date(Date.now() + 60_000).toISOString() } };
    }
    if (req.method === 'GET' && path === '/me') {
      return { status: 200, body: { userId: 'u-1', username: 'alice', groups: ['analysts'] } };
    }
    if (req.method === 'POST' && path === '/uploads') {
      const { dataset, fileName, sizeBytes } = req.body as {
        dataset: string;
        fileName: string;
        sizeBytes: number;
      };
      if (dataset !== 'transactions') {
        return { status: 400, body: envelope('UNKNOWN_DATASET', `There is no dataset named "${dataset}".`) };
      }
      const jobId = randomUUID();
      this.setJob(jobId, { state: 'awaiting_upload', fileName, sizeBytes, startedAt: null });
      const base = this.apiUrl.replace(/\/api$/, '');
      return {
        status: 201,
        body: {
          jobId,
          upload: {
            method: 'PUT',
            url: `${base}/s3/${jobId}`,
            headers: { 'content-type': 'text/csv' },
            expiresAt: new Date(Date.now() + 900_000).toISOString(),
          },
        },
      };
    }
    if (req.method === 'GET' && path === '/jobs') {
      return { status: 200, body: { jobs: [...this.jobs.values()].reverse(), nextCursor: null } };
    }
    if (req.method === 'GET' && jobMatch) {
      const job = this.jobs.get(jobMatch[1] ?? '');
      if (!job) return { status: 404, body: envelope('NOT_FOUND', 'No such job.') };
      if (!jobMatch[2]) return { status: 200, body: job };
      return {
        status: 200,
        body: {
          jobId: job.jobId,
          state: job.state,
          error: job.error,
          rowsRejected: job.rowsRejected,
          rowErrors: this.rowErrors.get(job.jobId) ?? [],
          report: null,
        },
      };
    }
    const cancelMatch = /^\/jobs\/([^/]+)\/cancel$/.exec(path);
    if (req.method === 'POST' && cancelMatch) {
      const job = this.jobs.get(cancelMatch[1] ?? '');
      if (!job) return { status: 404, body: envelope('NOT_FOUND', 'No such job.') };
      if (job.state === 'cancelled') return { status: 200, body: job };
      if (FINAL_STATES.has(job.state))
        return { status: 409, body: envelope('JOB_ALREADY_FINISHED', 'Finished.') };
      // As the server: a waiting job at once, a running one when its worker stopped (a test publishes that).
      if (job.state !== 'awaiting_upload') return { status: 202, body: job };
      const cancelled = this.setJob(job.jobId, {
        state: 'cancelled',
        error: envelope('JOB_CANCELLED', 'The job was cancelled by its owner; nothing was loaded.'),
      });
      this.publish({
        type: 'job.cancelled',
        seq: 1,
        at: cancelled.updatedAt,
        jobId: job.jobId,
        error: cancelled.error as never,
      });
      return { status: 200, body: cancelled };
    }
    if (req.method === 'POST' && path === '/devices') {
      const { platform } = req.body as { platform: string };
      return { status: 201, body: { platform, registeredAt: new Date().toISOString(), created: true } };
    }
    if (req.method === 'DELETE' && path.startsWith('/devices/')) return { status: 204 };
    return { status: 404, body: envelope('ROUTE_NOT_FOUND', `No route for ${req.method} ${path}.`) };
  }
}

export function envelope(code: string, message: string, details?: unknown): ErrorEnvelope {
  return (details === undefined ? { code, message } : { code, message, details }) as ErrorEnvelope;
}

/** Polls `predicate` until it returns a truthy value (returned), or fails after `timeoutMs`. */
export async function waitFor<T>(
  predicate: () => T,
  timeoutMs = 3_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = predicate();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Event builders with the protocol's shapes. */
export const events = {
  queued: (jobId: string, seq: number): HeraldEvent => ({
    type: 'job.queued',
    jobId,
    seq,
    at: new Date().toISOString(),
    dataset: 'transactions',
  }),
  progress: (jobId: string, seq: number, percent: number, rowsProcessed = percent * 10): HeraldEvent => ({
    type: 'job.progress',
    jobId,
    seq,
    at: new Date().toISOString(),
    bytesRead: percent,
    bytesTotal: 100,
    rowsProcessed,
    percent,
    rowsPerSecond: 1000,
    etaSeconds: (100 - percent) / 10,
  }),
  succeeded: (jobId: string, seq: number, rowsLoaded: number): HeraldEvent => ({
    type: 'job.succeeded',
    jobId,
    seq,
    at: new Date().toISOString(),
    rowsLoaded,
    rowsRejected: 0,
    durationMs: 1234,
  }),
  failed: (jobId: string, seq: number, rowErrors: RowError[]): HeraldEvent => ({
    type: 'job.failed',
    jobId,
    seq,
    at: new Date().toISOString(),
    error: { code: 'INVALID_VALUE', message: 'A value does not fit its column’s type.' },
    rowErrors,
  }),
};
