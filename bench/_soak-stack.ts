// The system under test of bench/soak.ts, alone in its process: the local stack (gateway,
// handlers, dynalite, s3rver, identity provider; PostgreSQL is its own process anyway), so the
// RSS and event-loop delay it reports are the stack's, not the load generators'. Driven over IPC:
//   → {type:'ready', wsUrl, env}                       once the stack is up
//   {cmd:'sample'}          → {type:'sample', ...}     memory, event-loop delay since the last
//                                                       sample, utilisation, CPU, open handles
//   {cmd:'window', group, action:'start'|'stop'} → {type:'window', group, eld?}: a separate
//                                                       event-loop-delay histogram over a span
//   {cmd:'gc'}              → {type:'gc', heapUsedMb, rssMb} after two full collections
//   {cmd:'exit'}
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { startLocalStack } from '../packages/local/src/index.ts';
import { mb, r1 } from './_stats.ts';

/** Node's default sampling period. Each recorded value is the whole period between two timer
 * callbacks, so an idle loop records ≈ this much: it is subtracted to report the DELAY. */
const RESOLUTION_MS = 10;

type Message =
  | { cmd: 'sample' }
  | { cmd: 'window'; group: string; action: 'start' | 'stop' }
  | { cmd: 'gc' }
  | { cmd: 'exit' };

const send = (message: unknown) => process.send?.(message);

const dataDir = mkdtempSync(join(tmpdir(), 'herald-bench-soak-'));
const stack = await startLocalStack({ dataDir, fresh: true, logLevel: 'error' });

const delayMs = (h: IntervalHistogram, p: number) =>
  h.count === 0 ? 0 : r1(Math.max(0, h.percentile(p) / 1e6 - RESOLUTION_MS));
const summary = (h: IntervalHistogram) => ({
  p50: delayMs(h, 50),
  p99: delayMs(h, 99),
  max: h.count === 0 ? 0 : r1(Math.max(0, h.max / 1e6 - RESOLUTION_MS)),
  samples: h.count,
});

const interval = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
interval.enable();
const windows = new Map<string, IntervalHistogram>();
let lastElu = performance.eventLoopUtilization();
let lastCpu = process.cpuUsage();
let lastAt = performance.now();

/** Open handles by kind: `TCPSocketWrap` counts the gateway's sockets (and a few internal ones). */
function handles(): { tcp: number; timers: number } {
  let tcp = 0;
  let timers = 0;
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === 'TCPSocketWrap') tcp++;
    else if (kind === 'Timeout') timers++;
  }
  return { tcp, timers };
}

function sample() {
  const at = performance.now();
  const memory = process.memoryUsage();
  const elu = performance.eventLoopUtilization(lastElu);
  const cpu = process.cpuUsage(lastCpu);
  const wallMs = at - lastAt;
  const eld = summary(interval);
  interval.reset();
  lastElu = performance.eventLoopUtilization();
  lastCpu = process.cpuUsage();
  lastAt = at;
  return {
    type: 'sample',
    rssMb: mb(memory.rss),
    heapUsedMb: mb(memory.heapUsed),
    heapTotalMb: mb(memory.heapTotal),
    externalMb: mb(memory.external),
    arrayBuffersMb: mb(memory.arrayBuffers),
    eld,
    eluPct: r1(elu.utilization * 100),
    cpuPct: r1(((cpu.user + cpu.system) / 1000 / wallMs) * 100),
    ...handles(),
  };
}

process.on('message', async (message: Message) => {
  switch (message.cmd) {
    case 'sample':
      send(sample());
      return;
    case 'window': {
      if (message.action === 'start') {
        const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
        h.enable();
        windows.set(message.group, h);
        send({ type: 'window', group: message.group });
        return;
      }
      const h = windows.get(message.group);
      h?.disable();
      send({ type: 'window', group: message.group, ...(h && { eld: summary(h) }) });
      return;
    }
    case 'gc': {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) throw new Error('the stack process needs --expose-gc');
      gc();
      gc();
      const memory = process.memoryUsage();
      send({ type: 'gc', heapUsedMb: mb(memory.heapUsed), rssMb: mb(memory.rss), ...handles() });
      return;
    }
    case 'exit':
      await stop();
  }
});

let stopping: Promise<never> | undefined;
function stop(): Promise<never> {
  stopping ??= (async () => {
    interval.disable();
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  })();
  return stopping;
}
// The benchmark died without saying goodbye: stop PostgreSQL and the servers all the same.
process.once('disconnect', () => void stop());
send({ type: 'ready', wsUrl: stack.wsUrl, env: stack.functionEnvironment('realtime/sns-notify') });
