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
import { join, relative } from 'node:path';

const args = process.argv.slice(2);
const hardeningOnly = args[0] === '--hardening';
const vitestArgs = hardeningOnly ? args.slice(1) : args;
let passed = 0;
let failed = 0;
let allOk = true;
/** The failing tests' names and first lines, repeated just above the closing line. */
const failures = [];

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

/**
 * What failed in a vitest JSON report, a few lines each: CI shows only the end of the output,
 * so the closing lines must name the failing tests, not just count them.
 */
function failuresOf(report) {
  const lines = [];
  const head = (text) =>
    String(text ?? '')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.trim().startsWith('at '))
      .slice(0, 8)
      .map((line) => `    ${line.slice(0, 300)}`);
  for (const file of report.testResults ?? []) {
    const name = relative(process.cwd(), file.name);
    const failedTests = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
    for (const t of failedTests) lines.push(`  ${name} > ${t.fullName}`, ...head(t.failureMessages?.[0]));
    if (failedTests.length === 0 && file.status === 'failed') lines.push(`  ${name}`, ...head(file.message));
  }
  return lines;
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
  failures.push(...failuresOf(report));
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
      else {
        failed++;
        failures.push(`  ${name} (its output is above)`);
      }
    }
  }
  vitest('vitest', ['--project', 'unit', '--project', 'integration']);
  if (vitestArgs.length === 0) vitest('hardening', ['--project', 'hardening']);
}

if (failures.length > 0) process.stdout.write(`\nFailed:\n${failures.join('\n')}\n`);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 && allOk ? 0 : 1);
