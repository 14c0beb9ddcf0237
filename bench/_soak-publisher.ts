// The application side of bench/soak.ts, in its own process (what the ticket endpoint and the
// ingest worker Lambdas do on AWS), built from the local stack's environment (passed in
// `process.env` by the parent). Driven over IPC:
//   {cmd:'tickets', userIds}  → {type:'tickets', tickets}: one one-time `$connect` ticket per
//                                entry, written to the tickets table as `POST /realtime/tickets` does
//   {cmd:'start', jobs:[{userId, jobId}], rate, cacheMs} → {type:'started'}: publishes job.progress
//                                events through `getPublisher()` at `rate` per second in total,
//                                round-robin over the jobs, each job's `seq` counting up from 0
//   {cmd:'stats'}             → {type:'stats', ...} what was published since the last stats
//   {cmd:'stop'}              → {type:'stopped', perJob, ...} once every publish in flight settled
//   {cmd:'exit'}
import { randomBytes } from 'node:crypto';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { getDeps, getPublisher, issueTicket } from '../packages/realtime/src/index.ts';
import { progress } from './_fanout-events.ts';

/** Publishes in flight at most: past it the offered rate is not kept, and `behindMs` shows it. */
const MAX_IN_FLIGHT = 64;

type Message =
  | { cmd: 'tickets'; userIds: string[] }
  | {
      cmd: 'start';
      jobs: Array<{ userId: string; jobId: string }>;
      rate: number;
      cacheMs: number;
    }
  | { cmd: 'stats' }
  | { cmd: 'stop' }
  | { cmd: 'exit' };

const send = (message: unknown) => process.send?.(message);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Counters {
  published: number;
  delivered: number;
  failed: number;
  gone: number;
  errors: number;
  /** Milliseconds from publish() to its result, recorded as whole ms ≥ 1. */
  readonly latency: RecordableHistogram;
}
const counters = (): Counters => ({
  published: 0,
  delivered: 0,
  failed: 0,
  gone: 0,
  errors: 0,
  latency: createHistogram(),
});
let interval = counters();
const total = counters();
const perJob = new Map<string, number>();
const inFlight = new Set<Promise<void>>();
let running: Promise<void> | undefined;
let stopping = false;
let scheduledBehindMs = 0;

function record(apply: (c: Counters) => void): void {
  apply(interval);
  apply(total);
}

function publishOne(userId: string, jobId: string): void {
  const seq = perJob.get(jobId) ?? 0;
  perJob.set(jobId, seq + 1);
  const started = performance.now();
  const work = getPublisher()
    .publish(userId, progress(jobId, seq), { cacheConnectionsMs: cacheMs })
    .then(
      (r) =>
        record((c) => {
          c.published++;
          c.delivered += r.delivered;
          c.failed += r.failed;
          c.gone += r.gone;
          c.latency.record(Math.max(1, Math.round(performance.now() - started)));
        }),
      () =>
        record((c) => {
          c.published++;
          c.errors++;
        }),
    )
    .finally(() => inFlight.delete(work));
  inFlight.add(work);
}

let cacheMs = 0;
async function steady(jobs: Array<{ userId: string; jobId: string }>, rate: number): Promise<void> {
  const start = performance.now();
  for (let i = 0; !stopping; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    else scheduledBehindMs = Math.max(scheduledBehindMs, -wait);
    while (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
    if (stopping) break;
    const job = jobs[i % jobs.length] as { userId: string; jobId: string };
    publishOne(job.userId, job.jobId);
  }
}

const figures = (c: Counters) => ({
  published: c.published,
  delivered: c.delivered,
  failed: c.failed,
  gone: c.gone,
  errors: c.errors,
  publishMs: {
    p50: c.latency.count ? c.latency.percentile(50) : 0,
    p99: c.latency.count ? c.latency.percentile(99) : 0,
    max: c.latency.count ? c.latency.max : 0,
  },
});

process.on('message', async (message: Message) => {
  switch (message.cmd) {
    case 'tickets': {
      const { tickets: store } = getDeps();
      const issued = message.userIds.map((userId) =>
        issueTicket({
          identity: { userId, username: userId, groups: [] },
          now: Date.now(),
          randomBytes: (n) => randomBytes(n),
        }),
      );
      for (let i = 0; i < issued.length; i += 16)
        await Promise.all(issued.slice(i, i + 16).map((t) => store.put(t.record)));
      send({ type: 'tickets', tickets: issued.map((t) => t.ticket) });
      return;
    }
    case 'start':
      cacheMs = message.cacheMs;
      stopping = false;
      running = steady(message.jobs, message.rate);
      send({ type: 'started' });
      return;
    case 'stats':
      send({
        type: 'stats',
        ...figures(interval),
        inFlight: inFlight.size,
        behindMs: Math.round(scheduledBehindMs),
      });
      interval = counters();
      scheduledBehindMs = 0;
      return;
    case 'stop':
      stopping = true;
      await running;
      await Promise.all(inFlight);
      send({ type: 'stopped', ...figures(total), perJob: Object.fromEntries(perJob) });
      return;
    case 'exit':
      process.exit(0);
  }
});
process.once('disconnect', () => process.exit(0));
send({ type: 'ready' });
