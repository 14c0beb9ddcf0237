// A topic fan-out worker of bench/_topic-fanout.ts, in its own process as each Lambda instance is:
// the production `sqs-topic-fanout` handler, built from the environment the local stack gives that
// function (passed in `process.env` by the parent). One shard per invocation, one invocation at a
// time, as Lambda runs an instance. Driven over IPC:
//   {cmd:'shards', bodies: [..]} → {type:'done', failures, cpuMs} after invoking the handler per
//     shard (`cpuMs`: this process's CPU time spent on them);
//   {cmd:'exit'}
import { handler } from '../packages/realtime/src/handlers/sqs-topic-fanout.ts';

type Message = { cmd: 'shards'; bodies: string[] } | { cmd: 'exit' };

process.on('message', async (message: Message) => {
  if (message.cmd === 'exit') process.exit(0);
  let failures = 0;
  const cpu = process.cpuUsage();
  for (const [i, body] of message.bodies.entries()) {
    const result = await handler({ Records: [{ messageId: `bench-${i}`, body }] });
    failures += result.batchItemFailures.length;
  }
  const used = process.cpuUsage(cpu);
  process.send?.({ type: 'done', failures, cpuMs: (used.user + used.system) / 1000 });
});
process.send?.({ type: 'ready' });
