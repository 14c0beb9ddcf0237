// The app side of bench/soak.ts: many WebSocket clients in one process (the gateway holds one
// descriptor per connection, and a process may hold 20,000, so they cannot share its process). Each connects with
// a one-time ticket, subscribes to its user's job, and pings like the SDK's heartbeat. Driven
// over IPC:
//   {cmd:'connect', conns:[{url, jobId}], concurrency} → {type:'connected', ok, failed}
//   {cmd:'start', heartbeatMs, lateMs} → {type:'started'}: every socket pings once per
//       `heartbeatMs` (first ping at a random point of the period, so pings are spread evenly);
//       an event received more than `lateMs` after its `at` counts as late
//   {cmd:'stop'}    → {type:'stopped'}: no more pings
//   {cmd:'sample'}  → {type:'sample', ...} what arrived since the last sample
//   {cmd:'final', expected: {jobId: events}} → {type:'final', ...} losses over the whole run
//   {cmd:'close-all'} → {type:'closed'} once every socket is closed (and forgotten)
//   {cmd:'exit'}
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { openMany, openSocket, type Socket } from './_ws.ts';

type Message =
  | { cmd: 'connect'; conns: Array<{ url: string; jobId: string }>; concurrency: number }
  | { cmd: 'start'; heartbeatMs: number; lateMs: number }
  | { cmd: 'stop' }
  | { cmd: 'sample' }
  | { cmd: 'final'; expected: Record<string, number> }
  | { cmd: 'close-all' }
  | { cmd: 'exit' };

interface Conn {
  readonly ws: Socket;
  readonly jobId: string;
  received: number;
  lastSeq: number;
  open: boolean;
  pingId?: string;
  pingSentAt: number;
  heartbeat?: NodeJS.Timeout;
}

interface Counters {
  deliveries: number;
  /** Events whose `seq` was not above the last one this socket saw (duplicate or out of order). */
  reordered: number;
  late: number;
  pings: number;
  pongs: number;
  errorFrames: number;
  unexpectedCloses: number;
  /** Event `at` → received, whole ms ≥ 1 (`at` has millisecond precision). */
  readonly latency: RecordableHistogram;
  /** ping sent → pong received, whole ms ≥ 1: the `$default` route's round trip. */
  readonly pongRtt: RecordableHistogram;
}
const counters = (): Counters => ({
  deliveries: 0,
  reordered: 0,
  late: 0,
  pings: 0,
  pongs: 0,
  errorFrames: 0,
  unexpectedCloses: 0,
  latency: createHistogram(),
  pongRtt: createHistogram(),
});

const send = (message: unknown) => process.send?.(message);
const conns: Conn[] = [];
const closeCodes: Record<string, number> = {};
let interval = counters();
const total = counters();
let lateMs = 1000;
let closingAll = false;
let pingCounter = 0;

function count(apply: (c: Counters) => void): void {
  apply(interval);
  apply(total);
}

function onFrame(conn: Conn, data: unknown): void {
  const at = Date.now();
  const frame = JSON.parse(String(data)) as {
    type?: string;
    id?: string;
    event?: { seq?: number; at?: string };
  };
  if (frame.type === 'event' && frame.event) {
    const seq = frame.event.seq ?? -1;
    const ms = at - Date.parse(frame.event.at ?? '');
    conn.received++;
    const reordered = seq <= conn.lastSeq;
    conn.lastSeq = Math.max(conn.lastSeq, seq);
    count((c) => {
      c.deliveries++;
      if (reordered) c.reordered++;
      if (ms > lateMs) c.late++;
      c.latency.record(Math.max(1, ms));
    });
  } else if (frame.type === 'pong' && frame.id === conn.pingId) {
    conn.pingId = undefined;
    const rtt = Math.max(1, Math.round(performance.now() - conn.pingSentAt));
    count((c) => {
      c.pongs++;
      c.pongRtt.record(rtt);
    });
  } else if (frame.type === 'error') {
    count((c) => c.errorFrames++);
  }
}

function ping(conn: Conn): void {
  if (!conn.open) return;
  conn.pingId = `soak-${++pingCounter}`;
  conn.pingSentAt = performance.now();
  conn.ws.send(JSON.stringify({ action: 'ping', id: conn.pingId }));
  count((c) => c.pings++);
}

const hist = (h: RecordableHistogram) => ({
  p50: h.count ? h.percentile(50) : 0,
  p99: h.count ? h.percentile(99) : 0,
  max: h.count ? h.max : 0,
});
const figures = (c: Counters) => ({
  deliveries: c.deliveries,
  reordered: c.reordered,
  late: c.late,
  pings: c.pings,
  pongs: c.pongs,
  errorFrames: c.errorFrames,
  unexpectedCloses: c.unexpectedCloses,
  latencyMs: hist(c.latency),
  pongRttMs: hist(c.pongRtt),
});

process.on('message', async (message: Message) => {
  switch (message.cmd) {
    case 'connect': {
      const { ok, failed } = await openMany(message.conns.length, message.concurrency, (i) => {
        const { url, jobId } = message.conns[i] as { url: string; jobId: string };
        return openSocket(url, [], (ws) => {
          const conn: Conn = { ws, jobId, received: 0, lastSeq: -1, open: true, pingSentAt: 0 };
          conns.push(conn);
          ws.on('message', (data) => onFrame(conn, data));
          ws.on('close', (code) => {
            conn.open = false;
            clearTimeout(conn.heartbeat);
            if (closingAll) return;
            closeCodes[code] = (closeCodes[code] ?? 0) + 1;
            count((c) => c.unexpectedCloses++);
          });
          ws.send(JSON.stringify({ action: 'subscribe', jobId }));
        });
      });
      send({ type: 'connected', ok, failed });
      return;
    }
    case 'start':
      lateMs = message.lateMs;
      for (const conn of conns) {
        conn.heartbeat = setTimeout(() => {
          ping(conn);
          conn.heartbeat = setInterval(() => ping(conn), message.heartbeatMs);
        }, Math.random() * message.heartbeatMs);
      }
      send({ type: 'started' });
      return;
    case 'stop':
      for (const conn of conns) clearTimeout(conn.heartbeat);
      send({ type: 'stopped' });
      return;
    case 'sample':
      send({ type: 'sample', open: conns.filter((c) => c.open).length, ...figures(interval) });
      interval = counters();
      return;
    case 'final': {
      let expected = 0;
      let lost = 0;
      for (const conn of conns) {
        const want = message.expected[conn.jobId] ?? 0;
        expected += want;
        lost += Math.max(0, want - conn.received);
      }
      const missing = conns.filter((c) => c.received < (message.expected[c.jobId] ?? 0)).length;
      send({
        type: 'final',
        expected,
        lost,
        connectionsMissingEvents: missing,
        closeCodes,
        ...figures(total),
      });
      return;
    }
    case 'close-all': {
      closingAll = true;
      const closed = conns
        .filter((c) => c.open)
        .map((c) => new Promise((resolve) => c.ws.once('close', resolve)));
      for (const conn of conns) conn.ws.close(1000, 'soak done');
      // Whoever has not answered the close handshake in 10 s is cut.
      const grace = setTimeout(() => {
        for (const conn of conns) conn.ws.terminate();
      }, 10_000);
      await Promise.all(closed);
      clearTimeout(grace);
      conns.length = 0;
      closingAll = false;
      send({ type: 'closed' });
      return;
    }
    case 'exit':
      for (const conn of conns) conn.ws.terminate();
      process.exit(0);
  }
});
process.once('disconnect', () => process.exit(0));
send({ type: 'ready' });
