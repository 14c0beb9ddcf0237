// A topic fan-out worker of bench/_topic-fanout.ts, in its own process as each Lambda instance is:
// the production `sqs-topic-fanout` handler, built from the environment the local stack gives that
// function (passed in `process.env` by the parent). One shard per invocation, one invocation at a
// time, as Lambda runs an instance. Driven over IPC:
//   {cmd:'shards', bodies: [..]} → {type:'done', failures} after invoking the handler per shard;
//   {cmd:'exit'}
import { handler } from '../packages/realtime/src/handlers/sqs-topic-fanout.ts';

type Message = { cmd: 'shards'; bodies: string[] } | { cmd: 'exit' };

process.on('message', async (message: Message) => {
  if (message.cmd === 'exit') process.exit(0);
  let failures = 0;
  for (const [i, body] of message.bodies.entries()) {
    const result = await handler({ Records: [{ messageId: `bench-${i}`, body }] });
    failures += result.batchItemFailures.length;
  }
  process.send?.({ type: 'done', failures });
});
process.send?.({ type: 'ready' });
