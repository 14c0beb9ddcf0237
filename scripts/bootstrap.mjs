#!/usr/bin/env node
// One entry for `npm run dev`, `npm test` and `npm run bench` on a machine that has only Node 20
// and npm: make sure the pinned pnpm is there, install the workspace from the lockfile, then run
// the requested task. Plain Node (no dependencies), because nothing is installed yet.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PNPM_VERSION = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split(
  '@',
)[1];
const [task, ...rest] = process.argv.slice(2);

const TASKS = {
  dev: ['exec', 'tsx', 'packages/local/src/cli.ts', ...rest],
  test: ['exec', 'node', 'scripts/run-tests.mjs', ...rest],
  'test:hardening': ['exec', 'node', 'scripts/run-tests.mjs', '--hardening', ...rest],
  bench: ['exec', 'tsx', 'bench/run.ts', ...rest],
};

function say(message) {
  process.stderr.write(`[herald] ${message}\n`);
}

function pnpmVersion(cmd, args) {
  try {
    return execFileSync(cmd, [...args, '--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

/** Returns [command, leadingArgs] that runs the pinned pnpm, installing it if needed. */
function ensurePnpm() {
  if (pnpmVersion('pnpm', []) === PNPM_VERSION) return ['pnpm', []];
  say(`installing pnpm ${PNPM_VERSION} (npm i -g) ...`);
  // corepack is unreliable here (signature keys), so install the exact version with npm.
  const global = spawnSync('npm', ['install', '-g', `pnpm@${PNPM_VERSION}`], { stdio: 'inherit' });
  if (global.status === 0 && pnpmVersion('pnpm', []) === PNPM_VERSION) return ['pnpm', []];
  say('global install not possible; falling back to npx');
  return ['npx', ['-y', `pnpm@${PNPM_VERSION}`]];
}

function run(cmd, args, extraEnv = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...extraEnv } });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

if (!task || !(task in TASKS)) {
  say(`usage: node scripts/bootstrap.mjs <${Object.keys(TASKS).join('|')}> [args]`);
  process.exit(2);
}

/**
 * The browser test drives Debian's Chromium (a browser download from npm is not possible here).
 * As root with apt we install it; otherwise we say how, and that one test will fail.
 */
function ensureChromium() {
  if (existsSync('/usr/bin/chromium')) return;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) {
    say('Chromium is missing: the browser test will fail. Install it with: sudo apt-get install -y chromium');
    return;
  }
  say('installing Debian chromium for the browser test (apt-get) ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const ok = (args) =>
    spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env }).status === 0;
  if (!ok(['update', '-qq']) || !ok(['install', '-y', '-qq', 'chromium']))
    say('apt-get could not install chromium');
}

const [pnpm, pnpmArgs] = ensurePnpm();
if (task === 'test') ensureChromium();
// --frozen-lockfile: a fresh machine gets exactly what CI tested. pnpm is quick when nothing changed.
const installArgs = [...pnpmArgs, 'install', '--frozen-lockfile', '--prefer-offline'];
if (!existsSync(join(root, 'pnpm-lock.yaml')))
  installArgs.splice(installArgs.indexOf('--frozen-lockfile'), 1);
if (run(pnpm, installArgs, { CI: process.env.CI ?? 'true' }) !== 0) {
  say('dependency installation failed; see the output above');
  process.exit(1);
}

// Forward Ctrl-C to the child and let it shut down cleanly instead of dying with us.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => {});
// The AWS SDK warns on every start that releases after January 2027 need Node 22 (Lambda runs
// nodejs22.x already); known and tracked, so keep it out of the dev and test output.
process.exit(
  run(pnpm, [...pnpmArgs, ...TASKS[task]], { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }),
);
