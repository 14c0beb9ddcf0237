// Part (d) of `pnpm bench realtime`: one event to a shared topic with T subscribed connections
// (default 10,000), from publish to the last delivery, with 1 and with 2 fan-out worker
// processes, alternating round by round. The publish is Herald's `publishToTopic` (next seq,
// topic log, subscribers Queried from the TopicSubscriptions table, cut into shards of 500);
// its shards are handed straight to the worker processes (each runs the production
// `sqs-topic-fanout` handler one shard at a time, as a Lambda instance does) instead of through
// the local queue, so the number of workers is exactly the one measured. Connections are opened
// through the gateway like any client's; their topic subscriptions are written to the table
// directly (the `$default` subscribe path is covered by the tests, and 10,000 invocations of it
// would only lengthen the run).
import { randomBytes } from 'node:crypto';
import type { LocalStack } from '../packages/local/src/index.ts';
import {
  buildTopicStoreDeps,
  DynamoConnectionStore,
  documentClient,
  type FanoutShard,
  loadPublisherConfig,
  loadTopicTablesConfig,
  publishToTopic,
} from '../packages/realtime/src/index.ts';
import { createJsonLogger } from '../packages/runtime/src/index.ts';
import { type Child, forkChild } from './_child.ts';
import { median, now, r3 } from './_stats.ts';

/** What part (d) reports. */
export interface TopicFanoutResult {
  readonly subscribers: number;
  readonly shards: number;
  readonly rounds: number;
  /** Publish → last delivery, median of rounds, ms. */
  readonly oneWorkerMs: number;
  readonly twoWorkersMs: number;
  /** oneWorkerMs / twoWorkersMs (target ≥ 1.6). */
  readonly scaling: number;
  readonly perRound: { readonly oneWorkerMs: number[]; readonly twoWorkersMs: number[] };
  /**
   * CPU time per round (median, ms) of the stack process (the local gateway with its
   * `@connections` endpoint, dynalite) and of the worker processes together: what bounds the
   * scaling on this machine's cores.
   */
  readonly cpuMs: {
    readonly oneWorker: { readonly gateway: number; readonly workers: number };
    readonly twoWorkers: { readonly gateway: number; readonly workers: number };
  };
}

/** How part (d) reaches the run's stack and clients process. */
export interface TopicFanoutOptions {
  readonly stack: LocalStack;
  /** The clients process of bench/realtime.ts (`connect` / `count` commands). */
  readonly clients: Child;
  /** A token of the user whose connections subscribe. */
  readonly token: string;
  readonly userId: string;
  readonly subscribers: number;
  readonly rounds: number;
  readonly say: (line: string) => void;
}

/**
 * Runs part (d) and answers its figures.
 *
 * @example
 * const topic = await runTopicFanout({ stack, clients, token, userId, subscribers: 10_000, rounds: 3, say });
 */
export async function runTopicFanout(o: TopicFanoutOptions): Promise<TopicFanoutResult> {
  try {
    return await run(o);
  } catch (error) {
    // The caller's cleanup can take a while; say what failed first.
    o.say(`topic fan-out failed: ${(error as Error).stack ?? String(error)}`);
    throw error;
  }
}

async function run(o: TopicFanoutOptions): Promise<TopicFanoutResult> {
  // The workers run with the fan-out function's own environment and credentials (its role is
  // what the stack's IAM checks); this process's setup calls (finding the connections, writing
  // their subscriptions, publishing) use dummy credentials, as the tests' direct table calls do.
  const env = o.stack.functionEnvironment('realtime/sqs-topic-fanout');
  const setupCredentials = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };
  for (const [name, value] of Object.entries(setupCredentials)) process.env[name] ??= value;
  const tables = loadTopicTablesConfig(env);
  const documents = documentClient(loadPublisherConfig(env));
  const stores = buildTopicStoreDeps(tables, documents);
  const connections = new DynamoConnectionStore({
    client: documents,
    tableName: env.HERALD_CONNECTIONS_TABLE as string,
  });
  const workers = [0, 1].map(() =>
    forkChild('_topic-worker.ts', { ...process.env, ...env, HERALD_LOG_LEVEL: 'error' }),
  );
  try {
    await Promise.all(workers.map((w) => w.reply((m) => m.type === 'ready')));
    const before = new Set((await connections.listByUser(o.userId, Date.now())).map((c) => c.connectionId));
    const answer = await o.clients.ask(
      {
        cmd: 'connect',
        group: 'topic',
        url: o.stack.wsUrl,
        protocols: ['herald.v1', o.token],
        count: o.subscribers,
        concurrency: 50,
      },
      'connected',
    );
    if (answer.failed !== 0) throw new Error(`topic: ${String(answer.failed)} connections failed`);
    const ids = (await connections.listByUser(o.userId, Date.now()))
      .map((c) => c.connectionId)
      .filter((id) => !before.has(id));
    if (ids.length !== o.subscribers)
      throw new Error(`topic: found ${ids.length} new connections, not ${o.subscribers}`);
    const topic = `bench-${randomBytes(4).toString('hex')}`;
    const expiresAt = Math.floor(Date.now() / 1000) + 6 * 3600;
    for (let i = 0; i < ids.length; i += 50) {
      await Promise.all(
        ids
          .slice(i, i + 50)
          .map((connectionId) =>
            stores.topicSubscriptions.add({ topic, connectionId, userId: o.userId, expiresAt, groups: [] }),
          ),
      );
    }
    o.say(`topic: ${ids.length} connections subscribed to ${topic}`);

    let shardCount = 0;
    const cpu = {
      1: { gateway: [] as number[], workers: [] as number[] },
      2: { gateway: [] as number[], workers: [] as number[] },
    };
    const round = async (workerCount: 1 | 2, record = true): Promise<number> => {
      const gatewayCpu = process.cpuUsage();
      const shards: FanoutShard[] = [];
      await o.clients.ask({ cmd: 'count', group: 'topic', target: ids.length }, 'counting');
      const done = o.clients.reply((m) => m.type === 'counted' && m.group === 'topic');
      const t0 = now();
      await publishToTopic(
        {
          ...stores,
          fanout: { send: async (s) => void shards.push(...s) },
          clock: { now: () => Date.now() },
          topicShardSize: 500,
          topicEventTtlSeconds: 3600,
        },
        topic,
        { title: 'bench', body: '' },
        createJsonLogger({ service: 'bench' }, undefined, 'error'),
      );
      shardCount = shards.length;
      // Round-robin, as parallel pollers would take them.
      const bodies = Array.from({ length: workerCount }, (_, w) =>
        shards.filter((_, i) => i % workerCount === w).map((s) => JSON.stringify(s)),
      );
      const results = await Promise.all(
        bodies.map((b, w) => (workers[w] as Child).ask({ cmd: 'shards', bodies: b }, 'done')),
      );
      const failures = results.reduce((n, r) => n + Number(r.failures), 0);
      if (failures > 0) throw new Error(`topic: ${failures} shards failed`);
      const { lastAt } = (await done) as { lastAt: number };
      const used = process.cpuUsage(gatewayCpu);
      if (record) {
        cpu[workerCount].gateway.push(Math.round((used.user + used.system) / 1000));
        cpu[workerCount].workers.push(Math.round(results.reduce((n, r) => n + Number(r.cpuMs), 0)));
      }
      return lastAt - t0;
    };

    await round(2, false); // warm-up: SDK clients and sockets are built at first use, as in a cold Lambda
    const perRound = { oneWorkerMs: [] as number[], twoWorkersMs: [] as number[] };
    for (let r = 1; r <= o.rounds; r++) {
      for (const count of [1, 2] as const) {
        const ms = await round(count);
        (count === 1 ? perRound.oneWorkerMs : perRound.twoWorkersMs).push(Math.round(ms));
        o.say(
          `round ${r} topic fan-out, ${count} worker(s): ${Math.round(ms)} ms to the last of ${ids.length}`,
        );
      }
    }
    const oneWorkerMs = median(perRound.oneWorkerMs);
    const twoWorkersMs = median(perRound.twoWorkersMs);
    return {
      subscribers: ids.length,
      shards: shardCount,
      rounds: o.rounds,
      oneWorkerMs,
      twoWorkersMs,
      scaling: r3(oneWorkerMs / twoWorkersMs),
      perRound,
      cpuMs: {
        oneWorker: { gateway: median(cpu[1].gateway), workers: median(cpu[1].workers) },
        twoWorkers: { gateway: median(cpu[2].gateway), workers: median(cpu[2].workers) },
      },
    };
  } finally {
    await Promise.all(workers.map((w) => w.exit()));
    documents.destroy();
  }
}
