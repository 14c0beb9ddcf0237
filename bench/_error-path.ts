// One cold Lambda instance's error path, for bench/bundles.ts: run by the Lambda runtime's Node
// major (Node 24 strips the types of this file itself), with or without `--enable-source-maps`.
// It imports a function's bundle, invokes its handler with an event that makes it throw, and
// times the first read of the error's `stack` (where Node maps the frames through the source
// map, decoding it on first use), then the warm reads, and prints one JSON line.
//   argv: <bundle dir> <event JSON> [warm invocations]
import { pathToFileURL } from 'node:url';

const [dir = '', eventJson = '{}', warmArg = '50'] = process.argv.slice(2);
const event: unknown = JSON.parse(eventJson);

const started = performance.now();
const mod = (await import(pathToFileURL(`${dir}/index.mjs`).href)) as {
  handler: (event: unknown) => Promise<unknown>;
};
const importMs = performance.now() - started;
const importRssMb = process.memoryUsage().rss / 1024 / 1024;

async function thrown(): Promise<Error> {
  try {
    await mod.handler(event);
  } catch (error) {
    return error as Error;
  }
  throw new Error('the handler did not throw: no error path to time');
}

const first = await thrown();
let at = performance.now();
const stack = first.stack ?? '';
const firstStackMs = performance.now() - at;

const warm: number[] = [];
for (let i = 0; i < Number(warmArg); i++) {
  const error = await thrown();
  at = performance.now();
  void error.stack;
  warm.push(performance.now() - at);
}
warm.sort((a, b) => a - b);

process.stdout.write(
  `${JSON.stringify({
    importMs,
    importRssMb,
    firstStackMs,
    warmStackMs: warm[Math.floor(warm.length / 2)] ?? Number.NaN,
    rssMb: process.memoryUsage().rss / 1024 / 1024,
    // The top frame shows whether it was mapped (a .ts path) or not (index.mjs:line:column).
    topFrame: stack.split('\n')[1]?.trim() ?? '',
  })}\n`,
);
