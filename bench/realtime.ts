// `pnpm bench realtime [--clients N] [--events K] [--rounds R] [--rate E] [--seconds S]
//                     [--latency-clients L] [--hold H] [--json]`
//
// Fan-out through Herald's publisher and the local API Gateway against the wire floor and a bare
// `ws` broadcast to the same clients, in ONE run, alternating the contenders round by round (2
// noisy cores: a load generator competes with what it measures). Three processes: this one runs
// the local stack (gateway, handlers, dynalite, ...) and the bare `ws` server; the clients live in
// bench/_fanout-clients.ts; the publisher (built from the stack's environment, as other packages'
// Lambdas build it) in bench/_fanout-publisher.ts, as the publishing Lambda is not the API Gateway
// on AWS.
//   (a) throughput: K events to N clients of ONE user (N × K deliveries), contenders
//       - bare: the bare server's `send` loop (reference: no API Gateway in the way);
//       - floor: the wire floor, a loop of SigV4-signed POSTs over keep-alive to the same
//         `@connections` endpoint, nothing else (bench/_fanout-floor.ts);
//       - herald: `publish()` → GSI query → PostToConnection ×N (concurrency 32, the lean poster)
//         → gateway, with the connection list cached (`cacheConnectionsMs`, as the ingest worker
//         publishes progress) and uncached (a GSI query per event), and cached with the AWS SDK
//         client as the poster (the comparison the lean poster replaced);
//       each with the publisher process's CPU per delivery and this (the stack's) process's CPU
//       per delivery: the gateway's, plus dynalite's for the GSI queries;
//   (b) latency: E events/s for S seconds to a user with L connections, publish call → frame
//       received in the client process, p50 / p99, bare vs herald;
//   (c) connections held: the stack process's RSS with H gateway connections open (default N).
//   (d) topic fan-out: one event to a shared topic with T subscribed connections (default 10,000;
//       `--topic-subscribers 0` skips it), with 1 and with 2 fan-out worker processes
//       (bench/_topic-fanout.ts).
// Results: bench/results/realtime.json; with --json the last stdout line is the summary.
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEV_USERS } from '../packages/local/src/identity.ts';
import { startLocalStack } from '../packages/local/src/index.ts';
import { forkChild } from './_child.ts';
import { progress } from './_fanout-events.ts';
import { fmt, mb, median, now, percentile, r1, r3 } from './_stats.ts';
import { runTopicFanout } from './_topic-fanout.ts';
import { type Socket, WebSocketServer } from './_ws.ts';

const here = dirname(fileURLToPath(import.meta.url));

const { values: options } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    events: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '5' },
    'latency-clients': { type: 'string', default: '2' },
    hold: { type: 'string' },
    'topic-subscribers': { type: 'string', default: '10000' },
    json: { type: 'boolean', default: false },
  },
});
const N = Number(options.clients);
const K = Number(options.events);
const ROUNDS = Math.max(1, Number(options.rounds));
const RATE = Number(options.rate);
const SECONDS = Number(options.seconds);
const L = Number(options['latency-clients']);
const HOLD = Number(options.hold ?? N);
const TOPIC_SUBSCRIBERS = Number(options['topic-subscribers']);

const say = (line: string) => process.stderr.write(`[bench realtime] ${line}\n`);
const rssMb = () => mb(process.memoryUsage().rss);
const frameOf = (event: unknown) => JSON.stringify({ type: 'event', event });

// Other work on the machine skews every number: the load averages go into the results.
const loadAtStart = loadavg().map(r1);
const tmp = mkdtempSync(join(tmpdir(), 'herald-bench-fanout-'));
say('starting the local stack ...');
const stack = await startLocalStack({ dataDir: tmp, fresh: true, logLevel: 'error' });

const bare = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
await new Promise<void>((resolve) => bare.once('listening', () => resolve()));
const bareUrl = `ws://127.0.0.1:${(bare.address() as { port: number }).port}`;
const bareGroups = new Map<string, Set<Socket>>();
bare.on('connection', (ws, req) => {
  const group = new URL(req.url ?? '/', 'http://x').searchParams.get('group') ?? '';
  const set = bareGroups.get(group) ?? new Set();
  bareGroups.set(group, set);
  set.add(ws);
  ws.on('close', () => set.delete(ws));
});

const clients = forkChild('_fanout-clients.ts', process.env);
// The publisher gets exactly the environment the stack gives its handlers (what Lambda would hold).
const publisher = forkChild('_fanout-publisher.ts', {
  ...process.env,
  ...stack.functionEnvironment('realtime/sns-notify'),
  HERALD_LOG_LEVEL: 'error',
});

async function connect(group: string, url: string, protocols: string[], count: number): Promise<void> {
  const started = performance.now();
  const answer = await clients.ask(
    { cmd: 'connect', group, url, protocols, count, concurrency: 50 },
    'connected',
  );
  if (answer.failed !== 0)
    throw new Error(`${group}: ${String(answer.failed)} of ${count} connections failed`);
  say(`${group}: ${fmt(count)} connections in ${fmt(performance.now() - started)} ms`);
}

const aliceSub = DEV_USERS.find((u) => u.username === 'alice')?.sub as string;
const bobSub = DEV_USERS.find((u) => u.username === 'bob')?.sub as string;

type Contender = 'bare' | 'floor' | 'heraldCached' | 'heraldUncached' | 'heraldSdk';

interface ContenderRuns {
  readonly label: string;
  readonly perSec: number[];
  /** CPU µs per delivery of the publisher process (none for bare: it sends from this process). */
  readonly publisherCpuUs: number[];
  /** CPU µs per delivery of this process: the gateway (or the bare server), dynalite, the stack. */
  readonly stackCpuUs: number[];
}

const cpuMicros = (since: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(since);
  return user + system;
};

/** One round of one contender: K events to the N clients; deliveries/s and CPU per delivery. */
async function throughputRound(
  name: Contender,
  runs: ContenderRuns,
  user: { sub: string; jobId: string },
  seq: { next: number },
): Promise<void> {
  const group = name === 'bare' ? 'bare' : 'herald';
  await clients.ask({ cmd: 'count', group, target: N * K }, 'counting');
  const done = clients.reply((m) => m.type === 'counted' && m.group === group);
  const cpu = process.cpuUsage();
  const t0 = now();
  let publisherCpu = Number.NaN;
  if (name === 'bare') {
    const sockets = [...(bareGroups.get('bare') ?? [])];
    for (let k = 0; k < K; k++) {
      const frame = frameOf(progress(user.jobId, seq.next++));
      for (const ws of sockets) ws.send(frame);
    }
  } else {
    const fromSeq = seq.next;
    seq.next += K;
    const result =
      name === 'floor'
        ? await publisher.ask({ cmd: 'floor', jobId: user.jobId, fromSeq, count: K }, 'floor')
        : await publisher.ask(
            {
              cmd: 'burst',
              poster: name === 'heraldSdk' ? 'sdk' : 'lean',
              userId: user.sub,
              jobId: user.jobId,
              fromSeq,
              count: K,
              cacheMs: name === 'heraldUncached' ? 0 : 2000,
            },
            'burst',
          );
    const delivered = result.delivered as number[];
    if (delivered.some((d) => d !== N))
      throw new Error(`${name}: an event reached fewer than ${N}: ${delivered}`);
    publisherCpu = result.cpuMicros as number;
  }
  const { lastAt } = (await done) as { lastAt: number };
  const stackCpu = cpuMicros(cpu);
  runs.perSec.push((N * K) / ((lastAt - t0) / 1000));
  runs.stackCpuUs.push(stackCpu / (N * K));
  if (name !== 'bare') runs.publisherCpuUs.push(publisherCpu / (N * K));
  say(
    `${runs.label}: ${fmt(runs.perSec.at(-1) ?? 0)} deliveries/s, CPU µs/delivery publisher ` +
      `${r1(runs.publisherCpuUs.at(-1) ?? Number.NaN)} stack ${r1(runs.stackCpuUs.at(-1) ?? Number.NaN)}`,
  );
}

/** (a) Throughput: every contender once per round, rounds alternating them. */
async function throughput(token: string): Promise<Record<Contender, ContenderRuns>> {
  await connect('bare', `${bareUrl}/?group=bare`, [], N);
  await connect('herald', stack.wsUrl, ['herald.v1', token], N);
  const runs = (label: string): ContenderRuns => ({ label, perSec: [], publisherCpuUs: [], stackCpuUs: [] });
  const contenders: Record<Contender, ContenderRuns> = {
    bare: runs('bare ws broadcast'),
    floor: runs('wire floor (signed POST loop)'),
    heraldCached: runs('herald publish (progress, list cached)'),
    heraldUncached: runs('herald publish (GSI query per event)'),
    heraldSdk: runs('herald publish (list cached, SDK client)'),
  };
  const user = { sub: aliceSub, jobId: randomUUID() };
  const seq = { next: 0 };
  // Warm-up: clients and handlers are built at first use, as in a cold Lambda; one event each.
  await clients.ask({ cmd: 'count', group: 'herald', target: 3 * N }, 'counting');
  const warm = clients.reply((m) => m.type === 'counted' && m.group === 'herald');
  for (const poster of ['lean', 'sdk'])
    await publisher.ask(
      {
        cmd: 'burst',
        poster,
        userId: user.sub,
        jobId: user.jobId,
        fromSeq: seq.next++,
        count: 1,
        cacheMs: 0,
      },
      'burst',
    );
  const ids = await publisher.ask({ cmd: 'floor-ids', userId: user.sub }, 'floor-ids');
  if (ids.count !== N) throw new Error(`the floor found ${String(ids.count)} connections, not ${N}`);
  await publisher.ask({ cmd: 'floor', jobId: user.jobId, fromSeq: seq.next++, count: 1 }, 'floor');
  await warm;
  for (let round = 1; round <= ROUNDS; round++) {
    say(`round ${round}`);
    for (const name of Object.keys(contenders) as Contender[])
      await throughputRound(name, contenders[name], user, seq);
  }
  return contenders;
}

interface Latency {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  lost: number;
  /** Herald only: how long the `publish()` calls took (publisher side of the latency). */
  publishCall?: { p50: number; p99: number; max: number };
}

/** (b) Latency at a steady rate, to a user with L connections. */
async function latency(token: string): Promise<Record<'bare' | 'herald', Latency>> {
  await connect('lat-bare', `${bareUrl}/?group=lat-bare`, [], L);
  await connect('lat-herald', stack.wsUrl, ['herald.v1', token], L);
  const result: Partial<Record<'bare' | 'herald', Latency>> = {};
  const latJob = randomUUID();
  const total = Math.round(RATE * SECONDS);
  for (const name of ['bare', 'herald'] as const) {
    const group = `lat-${name}`;
    await clients.ask({ cmd: 'record', group }, 'recording');
    const sentAt = new Map<number, number>();
    let publishMs: number[] = [];
    const fromSeq = name === 'bare' ? 0 : total;
    if (name === 'bare') {
      const start = performance.now() + 20;
      for (let i = 0; i < total; i++) {
        const wait = start + (i * 1000) / RATE - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const event = progress(latJob, fromSeq + i);
        sentAt.set(event.seq, now());
        const frame = frameOf(event);
        for (const ws of bareGroups.get(group) ?? []) ws.send(frame);
      }
    } else {
      const answer = await publisher.ask(
        { cmd: 'steady', userId: bobSub, jobId: latJob, fromSeq, count: total, rate: RATE, cacheMs: 2000 },
        'steady',
      );
      for (const [s, t] of answer.sentAt as Array<[number, number]>) sentAt.set(s, t);
      publishMs = answer.publishMs as number[];
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { samples } = (await clients.ask({ cmd: 'report', group }, 'report')) as {
      samples: Array<[number, number]>;
    };
    const ms = samples.map(([s, at]) => at - (sentAt.get(s) ?? Number.NaN)).filter((x) => Number.isFinite(x));
    const l = {
      p50: r1(percentile(ms, 50)),
      p99: r1(percentile(ms, 99)),
      max: r1(Math.max(...ms)),
      samples: ms.length,
      lost: total * L - ms.length,
      ...(publishMs.length > 0 && {
        publishCall: {
          p50: r1(percentile(publishMs, 50)),
          p99: r1(percentile(publishMs, 99)),
          max: r1(Math.max(...publishMs)),
        },
      }),
    };
    result[name] = l;
    say(
      `latency ${name}: p50 ${l.p50} ms, p99 ${l.p99} ms (${ms.length} deliveries)` +
        (l.publishCall ? `; publish() call p50 ${l.publishCall.p50} ms, p99 ${l.publishCall.p99} ms` : ''),
    );
  }
  return result as Record<'bare' | 'herald', Latency>;
}

/** (c) Connections held by the gateway, and the stack process's RSS. */
async function held(token: string, open: number): Promise<{ held: number; rssMb: number }> {
  const extra = Math.max(0, HOLD - open);
  if (extra > 0) await connect('hold', stack.wsUrl, ['herald.v1', token], extra);
  (globalThis as { gc?: () => void }).gc?.();
  return { held: open + extra, rssMb: rssMb() };
}

/** min–max of a series, for the spread of the rounds. */
const spread = (xs: readonly number[], digits = 0) =>
  xs.length === 0 ? 'n/a' : `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

try {
  await Promise.all([clients.reply((m) => m.type === 'ready'), publisher.reply((m) => m.type === 'ready')]);
  const rssIdle = rssMb();
  const aliceToken = await stack.issueToken('alice', { expiresIn: 6 * 3600 });
  const bobToken = await stack.issueToken('bob', { expiresIn: 6 * 3600 });

  const contenders = await throughput(aliceToken);
  const lat = await latency(bobToken);
  const hold = await held(aliceToken, N + L);
  say(
    `stack process holding ${fmt(hold.held)} gateway connections: RSS ${hold.rssMb} MB (idle ${rssIdle} MB)`,
  );

  // (d) Topic fan-out with 1 and 2 worker processes.
  const topic =
    TOPIC_SUBSCRIBERS > 0
      ? await runTopicFanout({
          stack,
          clients,
          token: bobToken,
          userId: bobSub,
          subscribers: TOPIC_SUBSCRIBERS,
          rounds: ROUNDS,
          say,
        })
      : undefined;

  const rate = (c: Contender) => median(contenders[c].perSec);
  const publisherCpu = (c: Contender) => r1(median(contenders[c].publisherCpuUs));
  const stackCpu = (c: Contender) => r1(median(contenders[c].stackCpuUs));
  const summary = {
    clients: N,
    bareDeliveriesPerSec: Math.round(rate('bare')),
    floorDeliveriesPerSec: Math.round(rate('floor')),
    heraldDeliveriesPerSec: Math.round(rate('heraldCached')),
    ratio: r3(rate('heraldCached') / rate('bare')),
    heraldVsFloor: r3(rate('heraldCached') / rate('floor')),
    publisherCpuUsPerDelivery: publisherCpu('heraldCached'),
    floorPublisherCpuUsPerDelivery: publisherCpu('floor'),
    gatewayCpuUsPerDelivery: stackCpu('heraldCached'),
    floorGatewayCpuUsPerDelivery: stackCpu('floor'),
    p50Ms: lat.herald.p50,
    p99Ms: lat.herald.p99,
    connectionsHeld: hold.held,
    gatewayRssMb: hold.rssMb,
    topicSubscribers: topic?.subscribers ?? null,
    topicOneWorkerMs: topic?.oneWorkerMs ?? null,
    topicTwoWorkersMs: topic?.twoWorkersMs ?? null,
    topicScaling: topic?.scaling ?? null,
  };
  const lines = [
    '',
    `Fan-out: ${fmt(N)} clients of one user, ${K} events per round, ${ROUNDS} rounds (median of rounds; spread min–max)`,
    `${'contender'.padEnd(42)}${'deliveries/s'.padStart(14)}${'spread'.padStart(16)}${'vs floor'.padStart(10)}${'pub µs/d'.padStart(10)}${'stack µs/d'.padStart(12)}`,
    ...(Object.keys(contenders) as Contender[]).map((name) => {
      const c = contenders[name];
      return (
        c.label.padEnd(42) +
        fmt(rate(name)).padStart(14) +
        spread(c.perSec).padStart(16) +
        (rate(name) / rate('floor')).toFixed(3).padStart(10) +
        String(name === 'bare' ? '-' : publisherCpu(name)).padStart(10) +
        String(stackCpu(name)).padStart(12)
      );
    }),
    '(pub: the publisher process; stack: the gateway — or the bare server — with dynalite and the rest of the stack)',
    '',
    `Latency: ${RATE} events/s for ${SECONDS} s to a user with ${L} connections, publish → received`,
    ...(['bare', 'herald'] as const).map((name) => {
      const l = lat[name];
      return `${name.padEnd(10)} p50 ${String(l.p50).padStart(6)} ms   p99 ${String(l.p99).padStart(6)} ms   max ${String(l.max).padStart(6)} ms   lost ${l.lost}${l.publishCall ? `   (publish() call p99 ${l.publishCall.p99} ms)` : ''}`;
    }),
    '',
    `Stack process (gateway, handlers, dynalite, s3rver): RSS ${rssIdle} MB idle → ${hold.rssMb} MB with ${fmt(hold.held)} connections`,
    '',
    ...(topic
      ? [
          `Topic fan-out: ${fmt(topic.subscribers)} subscribers, ${topic.shards} shards, publish → last delivery (median of ${topic.rounds})`,
          `1 worker ${fmt(topic.oneWorkerMs)} ms   2 workers ${fmt(topic.twoWorkersMs)} ms   scaling ${topic.scaling}× (target 1.6×)`,
          `CPU per round: stack process (gateway, dynalite) ${fmt(topic.cpuMs.oneWorker.gateway)} / ${fmt(topic.cpuMs.twoWorkers.gateway)} ms, workers ${fmt(topic.cpuMs.oneWorker.workers)} / ${fmt(topic.cpuMs.twoWorkers.workers)} ms (1 / 2 workers)`,
          '',
        ]
      : []),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(
    join(here, 'results', 'realtime.json'),
    `${JSON.stringify(
      {
        ...summary,
        measuredAt: new Date().toISOString(),
        machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
        loadAverage: { atStart: loadAtStart, atEnd: loadavg().map(r1) },
        eventsPerRound: K,
        rounds: ROUNDS,
        uncachedDeliveriesPerSec: Math.round(rate('heraldUncached')),
        uncachedRatio: r3(rate('heraldUncached') / rate('bare')),
        sdkPosterDeliveriesPerSec: Math.round(rate('heraldSdk')),
        sdkPosterPublisherCpuUsPerDelivery: publisherCpu('heraldSdk'),
        throughput: Object.fromEntries(
          Object.entries(contenders).map(([k, c]) => [
            k,
            {
              label: c.label,
              perSec: c.perSec.map(Math.round),
              publisherCpuUsPerDelivery: c.publisherCpuUs.map(r1),
              stackCpuUsPerDelivery: c.stackCpuUs.map(r1),
            },
          ]),
        ),
        latency: { rate: RATE, seconds: SECONDS, connections: L, ...lat },
        rss: { idleMb: rssIdle, heldMb: hold.rssMb, connectionsHeld: hold.held },
        topicFanout: topic ?? null,
      },
      null,
      2,
    )}\n`,
  );
  if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  say('stopping ...');
  await Promise.all([clients.exit(), publisher.exit()]);
  say('children stopped; stopping the stack ...');
  for (const ws of bare.clients) ws.terminate();
  await new Promise((resolve) => bare.close(resolve));
  await stack.stop();
  rmSync(tmp, { recursive: true, force: true });
}
