// One ingest worker in a process of its own, so a trial can SIGKILL it mid-COPY like a crashed
// Lambda. The REAL handler and adapters (buildDeps from the environment, as on Lambda); only the
// notifier is replaced by one that prints each event as an `EVENT <json>` line, so the parent
// counts every event the worker sent before it died.
//
// Started ahead of time (imports and connections cost ~1 s): it prints `READY`, then reads ONE
// SQS event as a JSON line on stdin, runs it, prints `RESULT <json>` and exits.
import { createInterface } from 'node:readline';
import { buildDeps, loadConfig } from '@herald/ingest';
import { makeSqsIngestHandler } from '@herald/ingest/handlers/sqs-ingest';
import type { JobEvent } from '@herald/protocol';

const deps = {
  ...buildDeps(loadConfig(process.env)),
  notifier: {
    async notify(_userId: string, event: JobEvent): Promise<void> {
      process.stdout.write(`EVENT ${JSON.stringify(event)}\n`);
    },
  },
};
const handler = makeSqsIngestHandler(() => deps);
process.stdout.write('READY\n');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const result = await handler(JSON.parse(line));
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  break;
}
lines.close();
await deps.close?.();
