#!/usr/bin/env node
// `npm run dev`: start the local stack, print a banner, stay up until Ctrl-C.
import { parseArgs } from 'node:util';
import { describeThrown } from './data-dir-lock.ts';
import { DEFAULT_DATA_DIR, startLocalStack } from './stack.ts';

const { values } = parseArgs({
  options: {
    fresh: { type: 'boolean', default: false },
    'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
    verbose: { type: 'boolean', short: 'v', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(`Usage: npm run dev -- [--fresh] [--data-dir DIR] [--verbose]

  --fresh      wipe the local data folder first (database, objects, tables, keys)
  --data-dir   where the local stack keeps its data (default ${DEFAULT_DATA_DIR})
  --verbose    log gateway and server activity
`);
  process.exit(0);
}

const started = performance.now();
const log = values.verbose ? (line: string) => process.stderr.write(`${line}\n`) : () => {};
process.stderr.write('[herald] starting the local stack ...\n');
const stack = await startLocalStack({
  dataDir: values['data-dir'],
  fresh: values.fresh,
  log,
  logLevel: values.verbose ? 'debug' : 'warn',
  // A refusal is a call the deployed function could not make either: always worth a line.
  onIamRefusal: (call) =>
    process.stderr.write(
      `[herald] IAM refused ${call.function}: ${call.action} on ${call.resource} ${call.reason}\n`,
    ),
}).catch((error: unknown) => {
  process.stderr.write(`[herald] the local stack failed to start: ${describeThrown(error)}\n`);
  process.exit(1);
});
const seconds = ((performance.now() - started) / 1000).toFixed(1);
const token = await stack.issueToken('alice', { expiresIn: 12 * 3600 });

process.stdout.write(`
  Herald local stack is up (${seconds} s)

  Demo          ${stack.localUrl}/
  REST API      ${stack.apiUrl}
  WebSocket     ${stack.wsUrl}
  @connections  ${stack.managementEndpoint}
  Pushes (FCM)  ${stack.localUrl}/_local/pushes
  Identity      ${stack.identity.issuer}   (POST /token {"username":"alice"|"bob"|"admin"})
  PostgreSQL    ${stack.postgres.connectionString}
  S3            ${stack.s3.endpoint}   buckets: ${Object.values(stack.s3.buckets).join(', ')}
  DynamoDB      ${stack.dynamodb.endpoint}
  SRV-GW        ${stack.srvgw.url}
  Data folder   ${values['data-dir']}

  Dev token for alice (12 h):
  ${token}

  Try: curl -H "Authorization: Bearer <the token>" ${stack.apiUrl}/me

  Ctrl-C stops everything.
`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('\n[herald] stopping ...\n');
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`[herald] stop failed: ${describeThrown(error)}\n`);
        process.exit(1);
      },
    );
  });
}
