#!/usr/bin/env node
// The `herald` CLI launcher. The workspace ships TypeScript source (no build step), so this
// bundles the CLI with esbuild (a workspace root devDependency) into one ESM file under the
// package's node_modules/.cache, named by its content, and imports that. Not through tsx: its
// loader hooks run in a second V8 isolate (Node's loader thread), which cost the CLI ~20 MB of
// its peak RSS in `pnpm bench upload-memory`. esbuild builds in its own process, stopped before
// the CLI runs. `node bin/herald.mjs …` and `pnpm exec herald …` both work inside the workspace.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  process.stderr.write(
    'herald: this launcher needs `esbuild` (a workspace root devDependency); run `pnpm install`.\n',
  );
  process.exit(2);
}
let bundle;
try {
  const { outputFiles } = await esbuild.build({
    entryPoints: [fileURLToPath(new URL('../src/cli/main.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    write: false,
    logLevel: 'error',
    // `ws` is CommonJS: its `require`s of Node's modules need a `require` in an ES module.
    banner: {
      js: "import { createRequire as heraldCreateRequire } from 'node:module'; const require = heraldCreateRequire(import.meta.url);",
    },
  });
  bundle = outputFiles[0].contents;
} catch {
  // esbuild printed the errors.
  process.exit(2);
} finally {
  await esbuild.stop();
}
const cache = fileURLToPath(new URL('../node_modules/.cache/herald-cli/', import.meta.url));
const name = `cli-${createHash('sha256').update(bundle).digest('hex').slice(0, 16)}.mjs`;
if (!existsSync(cache + name)) {
  mkdirSync(cache, { recursive: true });
  // Written aside and renamed: a CLI starting meanwhile never imports half a file.
  writeFileSync(`${cache + name}.${process.pid}`, bundle);
  renameSync(`${cache + name}.${process.pid}`, cache + name);
  for (const old of readdirSync(cache)) {
    if (old !== name && /^cli-[0-9a-f]{16}\.mjs$/.test(old)) rmSync(cache + old, { force: true });
  }
}
const { main } = await import(pathToFileURL(cache + name).href);

const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
/** A yes/no question on the terminal (no terminal: no). */
const confirm = async (question) => {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise((resolve) => rl.question(question, resolve));
  rl.close();
  return /^y(es)?$/i.test(String(answer).trim());
};
const code = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: controller.signal,
  confirm,
});
// Let stdout drain before exiting: a piped `--json` answer must arrive whole.
process.stdout.write('', () => process.exit(code));
