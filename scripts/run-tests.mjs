#!/usr/bin/env node
// `npm test`: typecheck, lint, every vitest test against the real local stack (unit +
// integration), then the hardening suite (tests/hardening, its own stack, one file at a time).
// Ends with the plain `N passed, N failed` line CI reads; exits non-zero on any failure.
// Typecheck and lint count as one check each in that line.
//
//   node scripts/run-tests.mjs                  everything (what CI runs)
//   node scripts/run-tests.mjs <vitest args>    unit + integration only, filtered
//   node scripts/run-tests.mjs --hardening [a]  the hardening suite only (`pnpm test:hardening`)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const hardeningOnly = args[0] === '--hardening';
const vitestArgs = hardeningOnly ? args.slice(1) : args;
let passed = 0;
let failed = 0;
let allOk = true;

function step(name, cmd, stepArgs) {
  process.stdout.write(`\n== ${name}\n`);
  const started = Date.now();
  const r = spawnSync(cmd, stepArgs, { stdio: 'inherit' });
  const ok = r.status === 0;
  process.stdout.write(
    `== ${name}: ${ok ? 'ok' : 'FAILED'} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
  );
  if (!ok) allOk = false;
  return ok;
}

/** One vitest run with a JSON report; adds its tests to the totals. */
function vitest(name, projectArgs) {
  const resultsFile = join(process.cwd(), `.vitest-results-${name}.json`);
  rmSync(resultsFile, { force: true });
  const ok = step(name, 'pnpm', [
    'exec',
    'vitest',
    'run',
    ...projectArgs,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${resultsFile}`,
    ...vitestArgs,
  ]);
  if (!existsSync(resultsFile)) {
    failed += 1;
    process.stdout.write(`${name}: vitest wrote no results (it crashed before running tests)\n`);
    return;
  }
  const report = JSON.parse(readFileSync(resultsFile, 'utf8'));
  const before = failed;
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  // A suite that failed to load (syntax error, failing globalSetup) has no failed tests in it.
  failed += (report.testResults ?? []).filter(
    (s) => s.status === 'failed' && !s.assertionResults?.some((a) => a.status === 'failed'),
  ).length;
  if (!ok && failed === before) failed += 1;
  if (report.numTotalTests === 0) {
    process.stdout.write(`${name}: no tests ran\n`);
    failed += 1;
  }
}

if (hardeningOnly) {
  vitest('hardening', ['--project', 'hardening']);
} else {
  // A filtered run (`npm test -- packages/protocol`) skips the whole-repo checks and hardening.
  if (vitestArgs.length === 0) {
    for (const [name, cmd, stepArgs] of [
      // Every package and the root project (tests/, bench/, scripts/), each checked once.
      ['typecheck', process.execPath, ['scripts/typecheck.mjs']],
      ['lint', 'pnpm', ['exec', 'biome', 'ci', '.']],
    ]) {
      if (step(name, cmd, stepArgs)) passed++;
      else failed++;
    }
  }
  vitest('vitest', ['--project', 'unit', '--project', 'integration']);
  if (vitestArgs.length === 0) vitest('hardening', ['--project', 'hardening']);
}

process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 && allOk ? 0 : 1);
