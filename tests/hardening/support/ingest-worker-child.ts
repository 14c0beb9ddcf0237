// One ingest worker in a process of its own, so a trial can SIGKILL it mid-COPY like a crashed
// Lambda. The REAL handler and adapters (buildDeps from the environment, as on Lambda); only the
// notifier is replaced by one that prints each event as an `EVENT <json>` line, so the parent
// counts every event the worker sent before it died.
//
// Started ahead of time (imports and connections cost ~1 s): it prints `READY`, then reads ONE
// task `{event, holdTerminal?}` as a JSON line on stdin, runs the SQS event, prints
// `RESULT <json>` and exits. With `holdTerminal` the notifier never returns from a terminal event
// and prints `TERMINAL-HELD` instead of sending it: the parent kills the process there, which is
// a worker dying after COMMIT and before its owner was told.
import { createInterface } from 'node:readline';
import { buildDeps, loadConfig } from '@herald/ingest';
import { makeSqsIngestHandler } from '@herald/ingest/handlers/sqs-ingest';
import type { JobEvent } from '@herald/protocol';

let holdTerminal = false;
const deps = {
  ...buildDeps(loadConfig(process.env)),
  notifier: {
    async notify(_userId: string, event: JobEvent): Promise<boolean> {
      if (holdTerminal && (event.type === 'job.succeeded' || event.type === 'job.failed')) {
        process.stdout.write('TERMINAL-HELD\n');
        return new Promise<boolean>(() => {});
      }
      process.stdout.write(`EVENT ${JSON.stringify(event)}\n`);
      return true;
    },
  },
};
const handler = makeSqsIngestHandler(() => deps);
process.stdout.write('READY\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const task = JSON.parse(line) as { event: Parameters<typeof handler>[0]; holdTerminal?: boolean };
  holdTerminal = task.holdTerminal === true;
  const result = await handler(task.event);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  break;
}
lines.close();
await deps.close?.();
