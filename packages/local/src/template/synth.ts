import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Synthesizes the CDK app the way `cdk synth` does (the app reads `CDK_OUTDIR` and
 * `CDK_CONTEXT_JSON`, as the CLI passes them) into a cache folder keyed by a hash of everything
 * that goes into the template and the bundles: a second start with unchanged sources reuses the
 * cloud assembly instead of bundling every function again.
 */

export interface SynthOptions {
  readonly repoRoot: string;
  /** CDK context, e.g. `{ env: 'dev' }`. */
  readonly context: Readonly<Record<string, unknown>>;
  /** Where cloud assemblies are cached. @default `<repo>/node_modules/.cache/herald/synth` */
  readonly cacheDir?: string;
  readonly log?: (line: string) => void;
}

export interface SynthResult {
  readonly assemblyDir: string;
  /** Whether the assembly came from the cache. */
  readonly cached: boolean;
  readonly ms: number;
}

/** What the template and the bundles are made from; tests, docs and caches are not. */
const INPUT_DIRS = ['src', 'lib', 'bin', 'migrations'];
const INPUT_FILES = ['package.json', 'cdk.json'];
const SKIP = new Set(['node_modules', 'cdk.out', 'tests', 'dist', '.cache']);

function walk(dir: string, out: string[]): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
}

/** `@herald/infra` and the workspace packages it depends on, transitively: what synth reads. */
function synthPackages(repoRoot: string): string[] {
  const dirs = new Map<string, string>();
  const packages = join(repoRoot, 'packages');
  for (const dir of readdirSync(packages)) {
    const manifest = join(packages, dir, 'package.json');
    if (existsSync(manifest))
      dirs.set((JSON.parse(readFileSync(manifest, 'utf8')) as { name: string }).name, join(packages, dir));
  }
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const dir = dirs.get(name);
    if (dir === undefined || seen.has(dir)) return;
    seen.add(dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep);
  };
  visit('@herald/infra');
  return [...seen];
}

/**
 * A hash of the synth inputs: the sources and manifests of `@herald/infra` and every workspace
 * package it depends on, the lockfile and the context. Other packages (the local stack itself,
 * the SDK, the demo) do not change the template or a bundle.
 *
 * @example
 * const key = synthInputHash(REPO_ROOT, { env: 'dev' });
 */
export function synthInputHash(repoRoot: string, context: Readonly<Record<string, unknown>>): string {
  // The adopter's dataset declarations and their migrations: synth checks them, the migrator carries them.
  const files: string[] = [join(repoRoot, 'pnpm-lock.yaml'), join(repoRoot, 'herald.datasets.json')];
  walk(join(repoRoot, 'datasets'), files);
  for (const dir of synthPackages(repoRoot)) {
    for (const sub of INPUT_DIRS) walk(join(dir, sub), files);
    for (const file of INPUT_FILES) if (existsSync(join(dir, file))) files.push(join(dir, file));
  }
  const hash = createHash('sha256').update(JSON.stringify(context));
  for (const file of files.sort()) {
    hash.update(relative(repoRoot, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Returns a cloud assembly of the app for `context`, synthesizing it (with bundling) when the
 * cache has none for the current sources.
 *
 * @example
 * const { assemblyDir } = await synthesize({ repoRoot: REPO_ROOT, context: { env: 'dev' } });
 */
export async function synthesize(options: SynthOptions): Promise<SynthResult> {
  const started = Date.now();
  const cacheDir = options.cacheDir ?? join(options.repoRoot, 'node_modules', '.cache', 'herald', 'synth');
  const key = synthInputHash(options.repoRoot, options.context);
  const assemblyDir = join(cacheDir, key);
  if (existsSync(join(assemblyDir, 'manifest.json')))
    return { assemblyDir, cached: true, ms: Date.now() - started };

  mkdirSync(cacheDir, { recursive: true });
  const building = `${assemblyDir}.building-${process.pid}`;
  rmSync(building, { recursive: true, force: true });
  const infra = join(options.repoRoot, 'packages', 'infra');
  options.log?.(`synthesizing the CDK app (${JSON.stringify(options.context)}) …`);
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      cwd: infra,
      env: {
        ...process.env,
        CDK_OUTDIR: building,
        // Path metadata, as `cdk synth` adds it: the local stack names queues and topics by it.
        CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:enable-path-metadata': true, ...options.context }),
        // An env-agnostic synth, whatever credentials the developer's shell holds.
        CDK_DEFAULT_ACCOUNT: '',
        CDK_DEFAULT_REGION: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0 || !existsSync(join(building, 'manifest.json'))) {
    rmSync(building, { recursive: true, force: true });
    throw new Error(`the CDK app failed to synthesize (exit ${code}):\n${output.join('').slice(-4000)}`);
  }
  // Another start may have finished the same key meanwhile: either copy is the same assembly.
  if (existsSync(assemblyDir)) rmSync(building, { recursive: true, force: true });
  else renameSync(building, assemblyDir);
  pruneOld(cacheDir, key);
  return { assemblyDir, cached: false, ms: Date.now() - started };
}

/** Keeps the newest few assemblies (each holds every function's bundle). */
function pruneOld(cacheDir: string, keep: string): void {
  const entries = readdirSync(cacheDir)
    .filter((name) => name !== keep && !name.includes('.building-'))
    .map((name) => ({ name, mtime: statSync(join(cacheDir, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of entries.slice(2)) rmSync(join(cacheDir, old.name), { recursive: true, force: true });
}
