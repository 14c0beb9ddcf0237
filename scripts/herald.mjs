#!/usr/bin/env node
// `pnpm herald <command>`: one entry for both Herald command lines. `herald datasets …` is the
// adopter's tool for herald.datasets.json (@herald/ingest: check, plan, migrate, infer); every
// other command is the SDK's CLI (@herald/client-sdk: upload, jobs, job, link).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command, ...rest] = process.argv.slice(2);
const [bin, args] =
  command === 'datasets'
    ? [join(root, 'packages', 'ingest', 'bin', 'herald-datasets.mjs'), rest]
    : [join(root, 'packages', 'client-sdk', 'bin', 'herald.mjs'), process.argv.slice(2)];
// Ctrl-C reaches the child too (same terminal): it decides what an interruption means.
process.on('SIGINT', () => {});
const result = spawnSync(process.execPath, [bin, ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
