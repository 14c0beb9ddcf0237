#!/usr/bin/env node
// The `herald datasets` launcher (`pnpm herald datasets …` at the repository root). The workspace
// ships TypeScript source (no build step), so this loads the tool through tsx's ESM API, resolved
// from the workspace root's node_modules.
let tsImport;
try {
  ({ tsImport } = await import('tsx/esm/api'));
} catch {
  process.stderr.write(
    'herald datasets: this launcher needs `tsx` (a workspace root devDependency); run `pnpm install`.\n',
  );
  process.exit(2);
}
const { datasetsMain } = await tsImport('../src/cli/datasets.ts', import.meta.url);
const code = await datasetsMain(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  // `pnpm herald …` runs scripts from the workspace root; INIT_CWD is where it was typed.
  cwd: process.env.INIT_CWD ?? process.cwd(),
});
process.stdout.write('', () => process.exit(code));
