import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LocalIam } from './authority.ts';
import type { UsageReport } from './usage.ts';

/**
 * Merges a stack's IAM usage into the report file (created if missing; a file that is not a
 * report of the same policies is replaced, see `usage.ts`) and returns what was written.
 *
 * @example
 * mergeUsageFile('bench/results/iam-usage.json', iam);
 */
export function mergeUsageFile(file: string, iam: LocalIam): UsageReport {
  let previous: UsageReport | undefined;
  if (existsSync(file)) {
    try {
      previous = JSON.parse(readFileSync(file, 'utf8')) as UsageReport;
    } catch {
      previous = undefined;
    }
  }
  const report = iam.report(previous);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}
