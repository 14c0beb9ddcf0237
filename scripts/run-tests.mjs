#!/usr/bin/env node
// `npm test`: typecheck, lint, then every vitest project (unit + integration against the real
// local stack). Ends with the plain `N passed, N failed` line CI reads; exits non-zero on any
// failure. Typecheck and lint count as one check each in that line.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const resultsFile = join(process.cwd(), '.vitest-results.json');
const vitestArgs = process.argv.slice(2);
let passed = 0;
let failed = 0;

function step(name, cmd, args) {
  process.stdout.write(`\n== ${name}\n`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  const ok = r.status === 0;
  process.stdout.write(
    `== ${name}: ${ok ? 'ok' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  );
  return ok;
}

// A filtered run (`npm test -- packages/protocol`) skips the whole-repo checks.
if (vitestArgs.length === 0) {
  for (const [name, cmd, args] of [
    ['typecheck', 'pnpm', ['-r', '--workspace-concurrency=2', 'typecheck']],
    ['lint', 'pnpm', ['exec', 'biome', 'ci', '.']],
  ]) {
    if (step(name, cmd, args)) passed++;
    else failed++;
  }
}

rmSync(resultsFile, { force: true });
const vitestOk = step('vitest', 'pnpm', [
  'exec',
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${resultsFile}`,
  ...vitestArgs,
]);
if (existsSync(resultsFile)) {
  const report = JSON.parse(readFileSync(resultsFile, 'utf8'));
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  // A suite that failed to load (syntax error, failing globalSetup) has no failed tests in it.
  const brokenSuites = (report.testResults ?? []).filter(
    (s) => s.status === 'failed' && !s.assertionResults?.some((a) => a.status === 'failed'),
  ).length;
  failed += brokenSuites;
  if (!vitestOk && failed === 0) failed = 1;
  if (report.numTotalTests === 0) {
    process.stdout.write('no tests ran\n');
    failed += 1;
  }
} else {
  failed += 1;
  process.stdout.write('vitest wrote no results (it crashed before running tests)\n');
}

process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 && vitestOk ? 0 : 1);
