#!/usr/bin/env node
// The `herald` CLI launcher. The workspace ships TypeScript source (no build step), so this
// loads the CLI through tsx's ESM API, resolved from the workspace root's node_modules.
// `node bin/herald.mjs …` and `pnpm exec herald …` both work inside the workspace.
import { createInterface } from 'node:readline';

let tsImport;
try {
  ({ tsImport } = await import('tsx/esm/api'));
} catch {
  process.stderr.write(
    'herald: this launcher needs `tsx` (a workspace root devDependency); run `pnpm install`.\n',
  );
  process.exit(2);
}
const { main } = await tsImport('../src/cli/main.ts', import.meta.url);

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
