// The publisher side of bench/realtime.ts, in its own process, as the publishing Lambda is not the
// API Gateway on AWS: `getPublisher()` built from the local stack's environment (passed in
// `process.env` by the parent). Driven over IPC:
//   {cmd:'burst', userId, jobId, fromSeq, count, cacheMs} → {type:'burst', delivered: [..]} after
//     publishing `count` progress events one after the other (as a job publishes them);
//   {cmd:'steady', userId, jobId, fromSeq, count, rate, cacheMs} → {type:'steady', sentAt: [[seq, t]]}
//     publishing at `rate` events per second without waiting for the previous publish;
//   {cmd:'exit'}
// Times are `performance.timeOrigin + performance.now()`, comparable across processes.
import { getPublisher } from '../packages/realtime/src/index.ts';
import { progress } from './_fanout-events.ts';

type Message =
  | { cmd: 'burst'; userId: string; jobId: string; fromSeq: number; count: number; cacheMs: number }
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
const publisher = getPublisher();

process.on('message', async (message: Message) => {
  switch (message.cmd) {
    case 'burst': {
      const delivered: number[] = [];
      for (let i = 0; i < message.count; i++) {
        const result = await publisher.publish(message.userId, progress(message.jobId, message.fromSeq + i), {
          cacheConnectionsMs: message.cacheMs,
        });
        delivered.push(result.delivered);
      }
      process.send?.({ type: 'burst', delivered });
      return;
    }
    case 'steady': {
      const sentAt: Array<[number, number]> = [];
      const inFlight: Promise<unknown>[] = [];
      const start = performance.now() + 20;
      for (let i = 0; i < message.count; i++) {
        const wait = start + (i * 1000) / message.rate - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const seq = message.fromSeq + i;
        const event = progress(message.jobId, seq);
        sentAt.push([seq, now()]);
        inFlight.push(publisher.publish(message.userId, event, { cacheConnectionsMs: message.cacheMs }));
      }
      await Promise.all(inFlight);
      process.send?.({ type: 'steady', sentAt });
      return;
    }
    case 'exit':
      process.exit(0);
  }
});
process.send?.({ type: 'ready' });
