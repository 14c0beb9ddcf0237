// `pnpm bench soak [--minutes M] [--connections N] [--users U] [--rate E] [--sample-seconds S]
//                  [--warmup-seconds W] [--window-seconds X] [--heartbeat-seconds H] [--late-ms L]
//                  [--json]`   (also SOAK_MINUTES / SOAK_CONNECTIONS in the environment)
//
// Load and soak: N WebSocket connections (default 10,000, spread over U users, default N/100)
// held for M minutes (default 5) under steady job.progress traffic (E events/s in total,
// round-robin over the users' jobs, each event fanned out to every connection of its user) and
// the SDK's heartbeat (one ping per connection every H s, default 300). The question is whether
// the gateway stays flat: its process's RSS and event-loop delay are sampled every S s.
//
// The baseline is the run itself: the first window after warm-up against the last window
// (default one minute each, after W s of warm-up) — ratios near 1 and a slope near 0 MB/min
// mean flat. Nothing is asserted: the figures are reported as measured (2 noisy cores).
// The stack process also runs dynalite, whose 4.0.0 never closes the LevelDB iterator behind a
// Query (its value stream calls `iterator.return`, which abstract-level iterators lack): every
// Query (each publish's connection list, each subscribe) leaves heap and native memory behind,
// which shows here as a steady RSS slope. `heapAfterGcMb` tells such growth from GC sawtooth.
//
// Four processes (20,000 open files per process: the two ends of 10k sockets cannot share one):
//   bench/_soak-stack.ts      the local stack (gateway, handlers, dynalite, s3rver; PostgreSQL is
//                             its own process): the system under test, sampling itself;
//   bench/_soak-clients.ts    the connections (one-time tickets, a subscribe to the user's job, pings);
//   bench/_soak-publisher.ts  the application side: writes the tickets, publishes through
//                             `getPublisher()` as the ingest worker does (connection list cached 2 s);
//   this one                  drives them, prints the table, writes the results.
// Results: bench/results/soak.json (the whole time series) and the `soak` section of
// bench/results/hardening.json (other sections are kept); with --json the last stdout line is the
// summary.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Child, forkChild } from './_child.ts';
import { fmt, median, r1, r3 } from './_stats.ts';

const here = dirname(fileURLToPath(import.meta.url));

const { values: options } = parseArgs({
  options: {
    minutes: { type: 'string', default: process.env.SOAK_MINUTES ?? '5' },
    connections: { type: 'string', default: process.env.SOAK_CONNECTIONS ?? '10000' },
    users: { type: 'string' },
    rate: { type: 'string', default: '4' },
    'sample-seconds': { type: 'string', default: '10' },
    'warmup-seconds': { type: 'string' },
    'window-seconds': { type: 'string' },
    'heartbeat-seconds': { type: 'string', default: '300' },
    'late-ms': { type: 'string', default: '1000' },
    json: { type: 'boolean', default: false },
  },
});
const N = Math.max(1, Math.round(Number(options.connections)));
const U = Math.max(1, Math.min(N, Math.round(Number(options.users ?? N / 100))));
const RATE = Number(options.rate);
const P = Math.max(1, Number(options['sample-seconds']));
/** Seconds, rounded to whole samples so the windows start and end on sample boundaries. */
const toSamples = (s: number) => Math.max(P, Math.round(s / P) * P);
const DURATION = toSamples(Number(options.minutes) * 60);
const WARMUP = toSamples(Number(options['warmup-seconds'] ?? (DURATION >= 180 ? 30 : 10)));
const WINDOW = Math.max(
  P,
  Math.min(toSamples(Number(options['window-seconds'] ?? 60)), Math.floor((DURATION - WARMUP) / 2 / P) * P),
);
const HEARTBEAT_MS = Number(options['heartbeat-seconds']) * 1000;
const LATE_MS = Number(options['late-ms']);
/** Tickets live 60 s: they are written per batch, just before the batch connects. */
const BATCH = 500;
const CONNECT_CONCURRENCY = 50;
/** The ingest worker's setting for progress events. */
const CACHE_MS = 2000;

const say = (line: string) => process.stderr.write(`[bench soak] ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function preflight(): void {
  if (!(RATE > 0) || !(DURATION > WARMUP + P)) throw new Error('need --rate > 0 and --minutes above warm-up');
  // Each process holds one descriptor per connection (the stack a few hundred more), and the
  // descriptor limit cannot be raised from inside Node: say so before anything starts.
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const soft = Number(/^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1] ?? Number.POSITIVE_INFINITY);
  if (N + 512 > soft)
    throw new Error(
      `${fmt(N)} connections need ${fmt(N + 512)} open files per process; ulimit -n is ${soft}`,
    );
  // Every client socket takes an ephemeral port on loopback.
  const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
  const ports = Number(hi) - Number(lo) + 1;
  if (N + 1000 > ports) throw new Error(`${fmt(N)} connections need more than ${fmt(ports)} ephemeral ports`);
}

interface Eld {
  p50: number;
  p99: number;
  max: number;
}
interface Row {
  /** Seconds since traffic started, at the END of the sampled interval (negative: before). */
  t: number;
  phase: 'connect' | 'warm-up' | 'soak' | 'drain';
  connections: number;
  gatewayTcp: number;
  timers: number;
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
  eldMs: Eld;
  eluPct: number;
  cpuPct: number;
  deliveriesPerSec: number;
  latencyMs: Eld;
  late: number;
  reordered: number;
  pongs: number;
  pongRttP99Ms: number;
  unexpectedCloses: number;
  errorFrames: number;
  published: number;
  publishErrors: number;
  publishFailedPosts: number;
  inFlight: number;
  behindMs: number;
}

async function sampleRow(
  stack: Child,
  clients: Child,
  publisher: Child,
  t: number,
  seconds: number,
  phase: Row['phase'],
): Promise<Row> {
  const [s, c, p] = await Promise.all([
    stack.ask({ cmd: 'sample' }, 'sample'),
    clients.ask({ cmd: 'sample' }, 'sample'),
    publisher.ask({ cmd: 'stats' }, 'stats'),
  ]);
  const latency = c.latencyMs as Eld;
  return {
    t,
    phase,
    connections: c.open as number,
    gatewayTcp: s.tcp as number,
    timers: s.timers as number,
    rssMb: s.rssMb as number,
    heapUsedMb: s.heapUsedMb as number,
    externalMb: s.externalMb as number,
    eldMs: s.eld as Eld,
    eluPct: s.eluPct as number,
    cpuPct: s.cpuPct as number,
    deliveriesPerSec: r1((c.deliveries as number) / seconds),
    latencyMs: latency,
    late: c.late as number,
    reordered: c.reordered as number,
    pongs: c.pongs as number,
    pongRttP99Ms: (c.pongRttMs as Eld).p99,
    unexpectedCloses: c.unexpectedCloses as number,
    errorFrames: c.errorFrames as number,
    published: p.published as number,
    publishErrors: p.errors as number,
    publishFailedPosts: (p.failed as number) + (p.gone as number),
    inFlight: p.inFlight as number,
    behindMs: p.behindMs as number,
  };
}

/** Least-squares slope of `y` against minutes. */
function slopePerMinute(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}
const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

function table(rows: readonly Row[]): string {
  const cols: Array<[string, number, (r: Row) => string]> = [
    ['t s', 6, (r) => String(r.t)],
    ['phase', 8, (r) => r.phase],
    ['conns', 7, (r) => fmt(r.connections)],
    ['gw tcp', 7, (r) => fmt(r.gatewayTcp)],
    ['RSS MB', 8, (r) => r.rssMb.toFixed(1)],
    ['heap MB', 8, (r) => r.heapUsedMb.toFixed(1)],
    ['ELD p50', 8, (r) => r.eldMs.p50.toFixed(1)],
    ['p99', 7, (r) => r.eldMs.p99.toFixed(1)],
    ['max ms', 8, (r) => r.eldMs.max.toFixed(1)],
    ['ELU %', 6, (r) => r.eluPct.toFixed(0)],
    ['deliv/s', 8, (r) => fmt(r.deliveriesPerSec)],
    ['lat p50', 8, (r) => String(r.latencyMs.p50)],
    ['p99 ms', 7, (r) => String(r.latencyMs.p99)],
    ['late', 5, (r) => fmt(r.late)],
    ['pongs', 6, (r) => fmt(r.pongs)],
    ['in-fl', 6, (r) => fmt(r.inFlight)],
  ];
  const head = cols.map(([h, w]) => h.padStart(w)).join(' ');
  return [
    head,
    '-'.repeat(head.length),
    ...rows.map((r) => cols.map(([, w, f]) => f(r).padStart(w)).join(' ')),
  ].join('\n');
}

/** Read-modify-write of the `soak` section: the hardening suite writes the other sections. */
function recordHardening(figures: Record<string, unknown>): string {
  const file = join(here, 'results', 'hardening.json');
  const previous = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { sections?: Record<string, unknown> })
    : undefined;
  const results = {
    updatedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    sections: { ...previous?.sections, soak: { recordedAt: new Date().toISOString(), figures } },
  };
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

preflight();
const loadAtStart = loadavg().map(r1);
say(
  `${fmt(N)} connections (${fmt(U)} users × ~${fmt(N / U)}), ${RATE} progress events/s, ${DURATION / 60} min ` +
    `(warm-up ${WARMUP} s, windows ${WINDOW} s, a sample every ${P} s)`,
);
say('starting the local stack in its own process ...');
const stack = forkChild('_soak-stack.ts', process.env, ['--expose-gc']);
const children: Child[] = [stack];
try {
  const ready = await stack.reply((m) => m.type === 'ready', 120_000);
  const publisher = forkChild('_soak-publisher.ts', {
    ...process.env,
    ...(ready.env as Record<string, string>),
    HERALD_LOG_LEVEL: 'error',
  });
  const clients = forkChild('_soak-clients.ts', process.env);
  children.push(publisher, clients);
  await Promise.all([publisher.reply((m) => m.type === 'ready'), clients.reply((m) => m.type === 'ready')]);
  const gcAt = async () => (await stack.ask({ cmd: 'gc' }, 'gc')).heapUsedMb as number;
  /**
   * Waits until the stack is idle again (under 10 % event-loop utilisation over 2 s) and holds
   * at most `sockets` TCP sockets: the handlers of what the clients just did have run.
   */
  const settle = async (sockets = Number.POSITIVE_INFINITY) => {
    const started = performance.now();
    for (;;) {
      await sleep(2000);
      const s = await stack.ask({ cmd: 'sample' }, 'sample');
      if ((s.tcp as number) <= sockets && (s.eluPct as number) < 10) return;
      if (performance.now() - started > 120_000) return say('the stack did not settle within 120 s');
    }
  };
  /** The gateway's idle keep-alive sockets and servers are well under this many. */
  const NO_CLIENTS = 200;
  const users = Array.from({ length: U }, (_, i) => ({ userId: `soak-user-${i}`, jobId: randomUUID() }));
  const connect = async (batch: ReadonlyArray<(typeof users)[number]>): Promise<number> => {
    const { tickets } = (await publisher.ask(
      { cmd: 'tickets', userIds: batch.map((u) => u.userId) },
      'tickets',
    )) as { tickets: string[] };
    const conns = batch.map((u, j) => ({
      url: `${ready.wsUrl as string}?ticket=${tickets[j]}`,
      jobId: u.jobId,
    }));
    const answer = await clients.ask(
      { cmd: 'connect', conns, concurrency: CONNECT_CONCURRENCY },
      'connected',
    );
    return answer.failed as number;
  };

  // Handlers are imported and their clients built at first use (as in a cold Lambda): one small
  // connect / subscribe / disconnect cycle first, so the idle baseline already holds them.
  await connect(Array.from({ length: 50 }, () => ({ userId: 'soak-warm-up', jobId: randomUUID() })));
  await clients.ask({ cmd: 'close-all' }, 'closed');
  await settle(NO_CLIENTS);
  const heapAfterGc = { idle: await gcAt(), connected: 0, end: 0, afterDisconnect: 0 };
  const rssIdle = (await stack.ask({ cmd: 'sample' }, 'sample')).rssMb as number;

  // Connect, in batches (a ticket lives 60 s); the stack is sampled meanwhile.
  const rows: Row[] = [];
  const connectStarted = performance.now();
  let connecting = true;
  const connectSampler = (async () => {
    for (let k = 1; connecting; k++) {
      await sleep(connectStarted + k * P * 1000 - performance.now());
      if (!connecting) break;
      rows.push(await sampleRow(stack, clients, publisher, k * P, P, 'connect'));
    }
  })();
  let failed = 0;
  for (let from = 0; from < N; from += BATCH) {
    failed += await connect(
      Array.from(
        { length: Math.min(BATCH, N - from) },
        (_, j) => users[(from + j) % U] as (typeof users)[number],
      ),
    );
    if ((from / BATCH) % 4 === 3 || from + BATCH >= N)
      say(`connected ${fmt(Math.min(N, from + BATCH) - failed)} of ${fmt(N)} (${failed} failed)`);
  }
  connecting = false;
  await connectSampler;
  const connectSeconds = (performance.now() - connectStarted) / 1000;
  say(
    `${fmt(N - failed)} connections in ${connectSeconds.toFixed(1)} s (${fmt((N - failed) / connectSeconds)}/s)`,
  );
  // Connect-phase rows get negative times: t counts from the start of traffic.
  for (const row of rows) row.t = Math.round(row.t - connectSeconds);
  // The sockets are open, but their subscribe frames may still wait for their handlers.
  await settle();
  heapAfterGc.connected = await gcAt();

  // Traffic: progress events and heartbeats, sampled every P s.
  await stack.ask({ cmd: 'sample' }, 'sample'); // the intervals start now
  await clients.ask({ cmd: 'sample' }, 'sample');
  await publisher.ask({ cmd: 'stats' }, 'stats');
  await clients.ask({ cmd: 'start', heartbeatMs: HEARTBEAT_MS, lateMs: LATE_MS }, 'started');
  await publisher.ask({ cmd: 'start', jobs: users, rate: RATE, cacheMs: CACHE_MS }, 'started');
  const t0 = performance.now();
  const at = (s: number) => sleep(t0 + s * 1000 - performance.now());
  const windowEld: Record<string, Eld> = {};
  const windowAt = async (group: string, from: number, to: number) => {
    await at(from);
    await stack.ask({ cmd: 'window', group, action: 'start' }, 'window');
    await at(to);
    windowEld[group] = (await stack.ask({ cmd: 'window', group, action: 'stop' }, 'window')).eld as Eld;
  };
  const windows = Promise.all([
    windowAt('first', WARMUP, WARMUP + WINDOW),
    windowAt('last', DURATION - WINDOW, DURATION),
  ]);
  for (let t = P; t <= DURATION; t += P) {
    await at(t);
    const row = await sampleRow(stack, clients, publisher, t, P, t <= WARMUP ? 'warm-up' : 'soak');
    rows.push(row);
    say(
      `t=${t}s conns ${fmt(row.connections)} RSS ${row.rssMb} MB heap ${row.heapUsedMb} MB ` +
        `ELD p99 ${row.eldMs.p99} ms max ${row.eldMs.max} ms, ${fmt(row.deliveriesPerSec)} deliveries/s`,
    );
  }
  await windows;

  // Drain: stop publishing and pinging, let the last frames land, count what was lost.
  const stopped = await publisher.ask({ cmd: 'stop' }, 'stopped');
  await clients.ask({ cmd: 'stop' }, 'stopped');
  await sleep(2000);
  const elapsed = (performance.now() - t0) / 1000;
  rows.push(await sampleRow(stack, clients, publisher, Math.round(elapsed), elapsed - DURATION, 'drain'));
  const final = await clients.ask(
    { cmd: 'final', expected: stopped.perJob as Record<string, number> },
    'final',
  );
  heapAfterGc.end = await gcAt();

  // Disconnect everyone; once the `$disconnect` handlers have run, what is left after GC?
  await clients.ask({ cmd: 'close-all' }, 'closed');
  await settle(NO_CLIENTS);
  heapAfterGc.afterDisconnect = await gcAt();
  const rssAfterDisconnect = (await stack.ask({ cmd: 'sample' }, 'sample')).rssMb as number;

  // Figures.
  const soakRows = rows.filter((r) => r.phase === 'soak');
  const inWindow = (from: number, to: number) =>
    rows.filter((r) => r.phase !== 'connect' && r.t > from && r.t <= to);
  const first = inWindow(WARMUP, WARMUP + WINDOW);
  const last = inWindow(DURATION - WINDOW, DURATION);
  const rssFirst = r1(mean(first.map((r) => r.rssMb)));
  const rssLast = r1(mean(last.map((r) => r.rssMb)));
  const heapFirst = r1(mean(first.map((r) => r.heapUsedMb)));
  const heapLast = r1(mean(last.map((r) => r.heapUsedMb)));
  const rssSlope = r3(slopePerMinute(soakRows.map((r) => [r.t / 60, r.rssMb])));
  const heapSlope = r3(slopePerMinute(soakRows.map((r) => [r.t / 60, r.heapUsedMb])));
  const eldFirst = windowEld.first as Eld;
  const eldLast = windowEld.last as Eld;
  const held = soakRows.map((r) => r.connections);
  const latency = final.latencyMs as Eld;
  const figures = {
    connections: N,
    users: U,
    minutes: DURATION / 60,
    progressEventsPerSec: RATE,
    heartbeatSeconds: HEARTBEAT_MS / 1000,
    warmupSeconds: WARMUP,
    windowSeconds: WINDOW,
    connectFailed: failed,
    connectPerSec: Math.round((N - failed) / connectSeconds),
    connectionsHeld: {
      min: Math.min(...held),
      atEnd: held.at(-1) ?? 0,
      unexpectedCloses: final.unexpectedCloses,
    },
    deliveriesPerSec: Math.round(median(soakRows.map((r) => r.deliveriesPerSec))),
    deliveries: {
      expected: final.expected,
      received: final.deliveries,
      lost: final.lost,
      late: final.late,
      lateThresholdMs: LATE_MS,
      reordered: final.reordered,
      publishErrors: stopped.errors,
      postsFailedOrGone: (stopped.failed as number) + (stopped.gone as number),
    },
    latencyMs: latency,
    pongs: { sent: final.pings, received: final.pongs, rttMs: final.pongRttMs },
    rssMb: {
      idle: rssIdle,
      firstWindow: rssFirst,
      lastWindow: rssLast,
      ratio: r3(rssLast / rssFirst),
      slopeMbPerMin: rssSlope,
      peak: Math.max(...rows.map((r) => r.rssMb)),
      afterDisconnect: rssAfterDisconnect,
    },
    heapUsedMb: {
      firstWindow: heapFirst,
      lastWindow: heapLast,
      ratio: r3(heapLast / heapFirst),
      slopeMbPerMin: heapSlope,
    },
    heapAfterGcMb: {
      ...heapAfterGc,
      // What the traffic left behind with the same connections open, and what all connections
      // left behind once closed: both near 0 when nothing leaks.
      grownDuringTraffic: r1(heapAfterGc.end - heapAfterGc.connected),
      leftAfterDisconnect: r1(heapAfterGc.afterDisconnect - heapAfterGc.idle),
    },
    eventLoopDelayMs: {
      firstWindow: eldFirst,
      lastWindow: eldLast,
      ratioP99: r3(eldLast.p99 / eldFirst.p99),
      maxOverRun: Math.max(...soakRows.map((r) => r.eldMs.max)),
    },
    loadAverage: { atStart: loadAtStart, atEnd: loadavg().map(r1) },
  };

  const lines = [
    '',
    `Soak: ${fmt(N)} connections (${fmt(U)} users), ${RATE} progress events/s for ${DURATION / 60} min, ` +
      `stack process sampled every ${P} s (t = seconds since traffic started; negative = connecting)`,
    table(rows),
    '',
    `Flat? first window (${WARMUP}–${WARMUP + WINDOW} s) vs last window (${DURATION - WINDOW}–${DURATION} s):`,
    `  RSS              ${rssFirst} → ${rssLast} MB   ratio ${figures.rssMb.ratio}   slope ${rssSlope} MB/min (soak samples)`,
    `  heap used        ${heapFirst} → ${heapLast} MB   ratio ${figures.heapUsedMb.ratio}   slope ${heapSlope} MB/min`,
    `  event-loop delay p99 ${eldFirst.p99} → ${eldLast.p99} ms   ratio ${figures.eventLoopDelayMs.ratioP99}` +
      `   (p50 ${eldFirst.p50} → ${eldLast.p50} ms, max ${eldFirst.max} → ${eldLast.max} ms)`,
    `  heap after GC    idle ${heapAfterGc.idle} MB, ${fmt(N)} connected ${heapAfterGc.connected} MB, ` +
      `after traffic ${heapAfterGc.end} MB, all disconnected ${heapAfterGc.afterDisconnect} MB`,
    `Connections held: min ${fmt(figures.connectionsHeld.min)}, at end ${fmt(figures.connectionsHeld.atEnd)}, ` +
      `unexpected closes ${final.unexpectedCloses}; connect ${fmt(figures.connectPerSec)}/s, ${failed} failed`,
    `Deliveries: ${fmt(figures.deliveriesPerSec)}/s (median), ${fmt(final.deliveries as number)} of ` +
      `${fmt(final.expected as number)} expected, lost ${fmt(final.lost as number)}, late (> ${LATE_MS} ms) ` +
      `${fmt(final.late as number)}, reordered ${fmt(final.reordered as number)}; latency p50 ${latency.p50} ms, ` +
      `p99 ${latency.p99} ms, max ${latency.max} ms`,
    `Heartbeats: ${fmt(final.pings as number)} pings, ${fmt(final.pongs as number)} pongs, ` +
      `round trip p99 ${(final.pongRttMs as Eld).p99} ms`,
    `Load average: ${loadAtStart.join(' ')} at start, ${figures.loadAverage.atEnd.join(' ')} at end`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(
    join(here, 'results', 'soak.json'),
    `${JSON.stringify(
      {
        measuredAt: new Date().toISOString(),
        machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
        summary: figures,
        final,
        publisher: { ...stopped, perJob: undefined },
        samples: rows,
      },
      null,
      2,
    )}\n`,
  );
  const file = recordHardening(figures);
  say(`results: bench/results/soak.json and the soak section of ${file}`);
  if (options.json) process.stdout.write(`${JSON.stringify(figures)}\n`);
} finally {
  for (const child of children.reverse()) await child.exit().catch(() => {});
}
