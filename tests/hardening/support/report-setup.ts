import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where each hardening file drops its figures (one JSON file per section). */
    hardeningResultsDir: string;
  }
}

export const RESULTS_FILE = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'bench',
  'results',
  'hardening.json',
);

interface Results {
  updatedAt: string;
  machine: { cpus: number; memoryGiB: number; node: string };
  sections: Record<string, { recordedAt: string; figures: Record<string, unknown> }>;
}

/** `key: value` lines of one section, nested objects flattened to `a.b`. */
function flatten(figures: Record<string, unknown>, prefix = ''): [string, string][] {
  return Object.entries(figures).flatMap(([key, value]) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? flatten(value as Record<string, unknown>, `${prefix}${key}.`)
      : [[`${prefix}${key}`, Array.isArray(value) ? value.join(', ') : String(value)] as [string, string]],
  );
}

/**
 * Collects the figures the hardening files record during a run, merges them into
 * `bench/results/hardening.json` (sections not run this time keep their last figures) and prints
 * them as a table.
 */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'herald-hardening-'));
  project.provide('hardeningResultsDir', dir);
  return () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    if (files.length > 0) {
      const previous: Results | undefined = existsSync(RESULTS_FILE)
        ? (JSON.parse(readFileSync(RESULTS_FILE, 'utf8')) as Results)
        : undefined;
      const results: Results = {
        updatedAt: new Date().toISOString(),
        machine: {
          cpus: cpus().length,
          memoryGiB: Math.round(totalmem() / 2 ** 30),
          node: process.version,
        },
        sections: { ...previous?.sections },
      };
      for (const file of files) {
        results.sections[file.slice(0, -5)] = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      }
      mkdirSync(dirname(RESULTS_FILE), { recursive: true });
      writeFileSync(RESULTS_FILE, `${JSON.stringify(results, null, 2)}\n`);
      const rows = files.flatMap((file) => {
        const section = file.slice(0, -5);
        return flatten(results.sections[section]?.figures ?? {}).map(([k, v]) => [section, k, v]);
      });
      const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0), 8));
      const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
      console.log(`\nHardening figures (also in ${RESULTS_FILE}):`);
      console.log(line(['section', 'figure', 'value']));
      console.log(line(widths.map((w) => '-'.repeat(w))));
      for (const r of rows) console.log(line(r as string[]));
    }
    rmSync(dir, { recursive: true, force: true });
  };
}
