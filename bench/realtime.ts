// `pnpm bench realtime [--clients N] [--events K] [--rounds R] [--rate E] [--seconds S]
//                     [--latency-clients L] [--hold H] [--json]`
//
// Fan-out through Herald's publisher and the local API Gateway against a bare `ws` broadcast to
// the same number of clients, in ONE run, alternating the contenders round by round (2 noisy
// cores: a load generator competes with what it measures). Three processes: this one runs the local stack (gateway, handlers,
// dynalite, ...) and the bare `ws` server; the clients live in bench/_fanout-clients.ts; the
// publisher (`getPublisher()` from the stack's environment, as other packages' Lambdas use it)
// in bench/_fanout-publisher.ts, as the publishing Lambda is not the API Gateway on AWS.
//   (a) throughput: K events to N clients of ONE user (N × K deliveries): the bare server's
//       `send` loop vs `publish()` → GSI query → PostToConnection ×N (concurrency 32) → gateway;
//       herald twice: progress events with the connection list cached (`cacheConnectionsMs`, as
//       the ingest worker publishes progress) and uncached (a GSI query per event);
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

try {
  await Promise.all([clients.reply((m) => m.type === 'ready'), publisher.reply((m) => m.type === 'ready')]);
  const rssIdle = rssMb();
  const aliceToken = await stack.issueToken('alice', { expiresIn: 6 * 3600 });
  const bobToken = await stack.issueToken('bob', { expiresIn: 6 * 3600 });
  await connect('bare', `${bareUrl}/?group=bare`, [], N);
  await connect('herald', stack.wsUrl, ['herald.v1', aliceToken], N);

  // (a) Throughput, alternating contenders.
  const contenders = {
    bare: { label: 'bare ws broadcast', perSec: [] as number[] },
    heraldCached: { label: 'herald publish (progress, list cached)', perSec: [] as number[] },
    heraldUncached: { label: 'herald publish (GSI query per event)', perSec: [] as number[] },
  };
  let seq = 0;
  const jobId = randomUUID();
  // Warm-up: SDK clients and handlers are built at first use, as in a cold Lambda.
  await clients.ask({ cmd: 'count', group: 'herald', target: N }, 'counting');
  const warm = clients.reply((m) => m.type === 'counted' && m.group === 'herald');
  await publisher.ask(
    { cmd: 'burst', userId: aliceSub, jobId, fromSeq: seq++, count: 1, cacheMs: 0 },
    'burst',
  );
  await warm;
  for (let round = 1; round <= ROUNDS; round++) {
    for (const name of ['bare', 'heraldCached', 'heraldUncached'] as const) {
      const group = name === 'bare' ? 'bare' : 'herald';
      await clients.ask({ cmd: 'count', group, target: N * K }, 'counting');
      const done = clients.reply((m) => m.type === 'counted' && m.group === group);
      const t0 = now();
      if (name === 'bare') {
        const sockets = [...(bareGroups.get('bare') ?? [])];
        for (let k = 0; k < K; k++) {
          const frame = frameOf(progress(jobId, seq++));
          for (const ws of sockets) ws.send(frame);
        }
      } else {
        const cacheMs = name === 'heraldCached' ? 2000 : 0;
        const result = await publisher.ask(
          { cmd: 'burst', userId: aliceSub, jobId, fromSeq: seq, count: K, cacheMs },
          'burst',
        );
        seq += K;
        const delivered = result.delivered as number[];
        if (delivered.some((d) => d !== N))
          throw new Error(`a publish reached fewer than ${N}: ${delivered}`);
      }
      const { lastAt } = (await done) as { lastAt: number };
      const perSec = (N * K) / ((lastAt - t0) / 1000);
      contenders[name].perSec.push(perSec);
      say(`round ${round} ${contenders[name].label}: ${fmt(perSec)} deliveries/s`);
    }
  }
  const bareRate = median(contenders.bare.perSec);
  const heraldRate = median(contenders.heraldCached.perSec);
  const uncachedRate = median(contenders.heraldUncached.perSec);

  // (b) Latency at a steady rate, to a user with L connections.
  await connect('lat-bare', `${bareUrl}/?group=lat-bare`, [], L);
  await connect('lat-herald', stack.wsUrl, ['herald.v1', bobToken], L);
  const latency: Record<string, { p50: number; p99: number; max: number; samples: number; lost: number }> =
    {};
  const latJob = randomUUID();
  const total = Math.round(RATE * SECONDS);
  for (const name of ['bare', 'herald'] as const) {
    const group = `lat-${name}`;
    await clients.ask({ cmd: 'record', group }, 'recording');
    const sentAt = new Map<number, number>();
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
      const result = await publisher.ask(
        { cmd: 'steady', userId: bobSub, jobId: latJob, fromSeq, count: total, rate: RATE, cacheMs: 2000 },
        'steady',
      );
      for (const [s, t] of result.sentAt as Array<[number, number]>) sentAt.set(s, t);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { samples } = (await clients.ask({ cmd: 'report', group }, 'report')) as {
      samples: Array<[number, number]>;
    };
    const ms = samples.map(([s, at]) => at - (sentAt.get(s) ?? Number.NaN)).filter((x) => Number.isFinite(x));
    latency[name] = {
      p50: r1(percentile(ms, 50)),
      p99: r1(percentile(ms, 99)),
      max: r1(Math.max(...ms)),
      samples: ms.length,
      lost: total * L - ms.length,
    };
    say(
      `latency ${name}: p50 ${latency[name]?.p50} ms, p99 ${latency[name]?.p99} ms (${ms.length} deliveries)`,
    );
  }

  // (c) Connections held by the gateway, and the stack process's RSS.
  const extra = Math.max(0, HOLD - N - L);
  if (extra > 0) await connect('hold', stack.wsUrl, ['herald.v1', aliceToken], extra);
  const held = N + L + extra;
  (globalThis as { gc?: () => void }).gc?.();
  const rssHeld = rssMb();
  say(`stack process holding ${fmt(held)} gateway connections: RSS ${rssHeld} MB (idle ${rssIdle} MB)`);

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

  const ratio = heraldRate / bareRate;
  const summary = {
    clients: N,
    bareDeliveriesPerSec: Math.round(bareRate),
    heraldDeliveriesPerSec: Math.round(heraldRate),
    ratio: r3(ratio),
    p50Ms: latency.herald?.p50 ?? null,
    p99Ms: latency.herald?.p99 ?? null,
    connectionsHeld: held,
    gatewayRssMb: rssHeld,
    topicSubscribers: topic?.subscribers ?? null,
    topicOneWorkerMs: topic?.oneWorkerMs ?? null,
    topicTwoWorkersMs: topic?.twoWorkersMs ?? null,
    topicScaling: topic?.scaling ?? null,
  };
  const lines = [
    '',
    `Fan-out: ${fmt(N)} clients of one user, ${K} events per round, ${ROUNDS} rounds (median of rounds)`,
    `${'contender'.padEnd(42)}${'deliveries/s'.padStart(14)}${'ratio'.padStart(8)}`,
    ...Object.values(contenders).map(
      (c) =>
        `${c.label.padEnd(42)}${fmt(median(c.perSec)).padStart(14)}${(median(c.perSec) / bareRate).toFixed(3).padStart(8)}`,
    ),
    '',
    `Latency: ${RATE} events/s for ${SECONDS} s to a user with ${L} connections, publish → received`,
    ...(['bare', 'herald'] as const).map((name) => {
      const l = latency[name];
      return `${name.padEnd(10)} p50 ${String(l?.p50).padStart(6)} ms   p99 ${String(l?.p99).padStart(6)} ms   max ${String(l?.max).padStart(6)} ms   lost ${l?.lost}`;
    }),
    '',
    `Stack process (gateway, handlers, dynalite, s3rver): RSS ${rssIdle} MB idle → ${rssHeld} MB with ${fmt(held)} connections`,
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
        uncachedDeliveriesPerSec: Math.round(uncachedRate),
        uncachedRatio: r3(uncachedRate / bareRate),
        throughput: Object.fromEntries(
          Object.entries(contenders).map(([k, c]) => [
            k,
            { label: c.label, perSec: c.perSec.map(Math.round) },
          ]),
        ),
        latency: { rate: RATE, seconds: SECONDS, connections: L, ...latency },
        rss: { idleMb: rssIdle, heldMb: rssHeld, connectionsHeld: held },
        topicFanout: topic ?? null,
      },
      null,
      2,
    )}\n`,
  );
  if (options.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
} finally {
  await Promise.all([clients.exit(), publisher.exit()]);
  for (const ws of bare.clients) ws.terminate();
  await new Promise((resolve) => bare.close(resolve));
  await stack.stop();
  rmSync(tmp, { recursive: true, force: true });
}
