#!/usr/bin/env node
// `pnpm typecheck` (and the typecheck step of `npm test`): `tsc -b` over the root tsconfig.json,
// which references every package. Each package is checked once, with its own compiler options;
// a package that imports another reads that one's declarations instead of checking its sources
// again. Arguments go to `tsc -b` (`--verbose`, `--force`, `--clean`).
//
// First it compares the references with the packages, because a missing reference fails
// SILENTLY: a package the root does not reference is not checked at all, and a dependency a
// package does not reference is checked again, from source, inside it. It also wants each
// package's own `typecheck` script to be `tsc -b`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The folders a tsconfig.json references, as absolute paths. */
function referencesOf(dir) {
  const file = join(dir, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
  if (error) throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`);
  return new Set((config.references ?? []).map((r) => resolve(dir, r.path).replace(/\/tsconfig\.json$/, '')));
}

const manifest = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

/** Workspace packages with a tsconfig.json: package name → folder. */
const packages = new Map();
for (const entry of readdirSync(join(root, 'packages'), { withFileTypes: true })) {
  const dir = join(root, 'packages', entry.name);
  if (entry.isDirectory() && existsSync(join(dir, 'tsconfig.json'))) packages.set(manifest(dir).name, dir);
}

const problems = [];
const rootReferences = referencesOf(root);
for (const dir of packages.values()) {
  const where = relative(root, dir);
  if (!rootReferences.has(dir)) {
    problems.push(`tsconfig.json: add { "path": "${where}" } to "references" (else ${where} is not checked)`);
  }
  const { dependencies = {}, devDependencies = {}, scripts = {} } = manifest(dir);
  if (scripts.typecheck !== 'tsc -b') {
    // `tsc -p` would read the referenced packages' declarations as last built, or fail on them.
    problems.push(`${where}/package.json: set the "typecheck" script to "tsc -b"`);
  }
  const uses = new Set(
    Object.keys({ ...dependencies, ...devDependencies })
      .filter((name) => packages.has(name))
      .map((name) => packages.get(name)),
  );
  const references = referencesOf(dir);
  for (const used of uses) {
    if (!references.has(used)) {
      problems.push(`${where}/tsconfig.json: add { "path": "../${basename(used)}" } to "references"`);
    }
  }
  for (const referenced of references) {
    if (!uses.has(referenced)) {
      problems.push(
        `${where}/tsconfig.json: references ${relative(root, referenced)}, not a dependency in package.json`,
      );
    }
  }
}
if (problems.length > 0) {
  process.stderr.write(
    `typecheck: the packages' TypeScript projects need these changes first:\n  ${problems.join('\n  ')}\n`,
  );
  process.exit(1);
}

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-b', root, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
