import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

/**
 * Records one hardening section's figures (trials, cells, corpus size, losses, ...). The run's
 * globalSetup merges every section into `bench/results/hardening.json` and prints a table.
 * Record what was MEASURED, after the assertions ran: a failed section records nothing.
 */
export function recordFigures(section: string, figures: Record<string, unknown>): void {
  const file = join(inject('hardeningResultsDir'), `${section}.json`);
  writeFileSync(file, JSON.stringify({ recordedAt: new Date().toISOString(), figures }, null, 2));
}
