// The publisher side of bench/realtime.ts, in its own process, as the publishing Lambda is not the
// API Gateway on AWS: Herald's publisher built from the local stack's environment (passed in
// `process.env` by the parent) exactly as `getPublisher()` builds it, plus the contenders it is
// measured against on the same connections. Driven over IPC:
//   {cmd:'burst', poster, userId, jobId, fromSeq, count, cacheMs} → {type:'burst', delivered: [..],
//     cpuMicros} after publishing `count` progress events one after the other (as a job publishes
//     them) with the lean poster (`poster: 'lean'`, what the Lambdas use) or the SDK client's;
//   {cmd:'floor-ids', userId} → {type:'floor-ids', count}: reads the user's connection ids once,
//     for the floor (which has no connection list of its own);
//   {cmd:'floor', jobId, fromSeq, count} → {type:'floor', delivered: [..], cpuMicros}: the same
//     events as SigV4-signed POSTs to those ids, nothing else (bench/_fanout-floor.ts);
//   {cmd:'steady', userId, jobId, fromSeq, count, rate, cacheMs} → {type:'steady', sentAt: [[seq, t]],
//     publishMs: [..]} publishing at `rate` events per second without waiting for the previous
//     publish; `publishMs`: how long each `publish()` took (until every post was answered);
//   {cmd:'exit'}
// `cpuMicros` is this process's CPU time (user + system, `process.cpuUsage`) over the command.
// Times are `performance.timeOrigin + performance.now()`, comparable across processes.

import { buildSdkPoster } from '../packages/realtime/src/compose/sdk-poster.ts';
import { buildPublisherDeps, createPublisher, loadPublisherConfig } from '../packages/realtime/src/index.ts';
import { progress } from './_fanout-events.ts';
import { wireFloor } from './_fanout-floor.ts';

type Message =
  | {
      cmd: 'burst';
      poster: 'lean' | 'sdk';
      userId: string;
      jobId: string;
      fromSeq: number;
      count: number;
      cacheMs: number;
    }
  | { cmd: 'floor-ids'; userId: string }
  | { cmd: 'floor'; jobId: string; fromSeq: number; count: number }
  | {
      cmd: 'steady';
      userId: string;
      jobId: string;
      fromSeq: number;
      count: number;
      rate: number;
      cacheMs: number;
    }
  | { cmd: 'exit' };

const now = () => performance.timeOrigin + performance.now();
const cpuMicros = (since: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(since);
  return user + system;
};
const frameOf = (event: unknown) => JSON.stringify({ type: 'event', event });

const config = loadPublisherConfig(process.env);
const deps = buildPublisherDeps(config);
const publishers = {
  lean: createPublisher(deps),
  sdk: createPublisher({ ...deps, poster: buildSdkPoster(config) }),
};
const floor = wireFloor({
  endpoint: config.wsManagementEndpoint,
  region: config.region,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? '',
    ...(process.env.AWS_SESSION_TOKEN && { sessionToken: process.env.AWS_SESSION_TOKEN }),
  },
  concurrency: config.publishConcurrency,
});
let floorIds: string[] = [];

process.on('message', async (message: Message) => {
  switch (message.cmd) {
    case 'burst': {
      const publisher = publishers[message.poster];
      const delivered: number[] = [];
      const cpu = process.cpuUsage();
      for (let i = 0; i < message.count; i++) {
        const result = await publisher.publish(message.userId, progress(message.jobId, message.fromSeq + i), {
          cacheConnectionsMs: message.cacheMs,
        });
        delivered.push(result.delivered);
      }
      process.send?.({ type: 'burst', delivered, cpuMicros: cpuMicros(cpu) });
      return;
    }
    case 'floor-ids': {
      floorIds = (await deps.connections.listByUser(message.userId, Date.now())).map((c) => c.connectionId);
      process.send?.({ type: 'floor-ids', count: floorIds.length });
      return;
    }
    case 'floor': {
      const delivered: number[] = [];
      const cpu = process.cpuUsage();
      for (let i = 0; i < message.count; i++)
        delivered.push(await floor.post(floorIds, frameOf(progress(message.jobId, message.fromSeq + i))));
      process.send?.({ type: 'floor', delivered, cpuMicros: cpuMicros(cpu) });
      return;
    }
    case 'steady': {
      const sentAt: Array<[number, number]> = [];
      const publishMs: number[] = [];
      const inFlight: Promise<unknown>[] = [];
      const start = performance.now() + 20;
      for (let i = 0; i < message.count; i++) {
        const wait = start + (i * 1000) / message.rate - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const seq = message.fromSeq + i;
        const event = progress(message.jobId, seq);
        const t = now();
        sentAt.push([seq, t]);
        inFlight.push(
          publishers.lean
            .publish(message.userId, event, { cacheConnectionsMs: message.cacheMs })
            .then(() => publishMs.push(now() - t)),
        );
      }
      await Promise.all(inFlight);
      process.send?.({ type: 'steady', sentAt, publishMs });
      return;
    }
    case 'exit':
      floor.close();
      process.exit(0);
  }
});
process.send?.({ type: 'ready' });
