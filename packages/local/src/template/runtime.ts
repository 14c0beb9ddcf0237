import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The Node.js binary for a Lambda runtime (`nodejs24.x`): functions run locally on the same
 * major as on Lambda. The npm registry's `node-<platform>-<arch>` packages carry the official
 * binaries (optional dependencies of this package, so only the machine's own is installed); the
 * machine's own Node is used when its major already matches.
 */

/** Raised when no Node.js binary of the runtime's major is available. */
export class RuntimeUnavailableError extends Error {
  override readonly name = 'RuntimeUnavailableError';
}

const require = createRequire(import.meta.url);
const cache = new Map<string, string>();

/** `nodejs24.x` → 24. */
export function runtimeMajor(runtime: string): number {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  if (!match)
    throw new RuntimeUnavailableError(
      `runtime ${runtime} is not a Node.js runtime; the local stack runs Node.js functions only`,
    );
  return Number(match[1]);
}

/**
 * The path of a `node` binary whose major is the runtime's.
 *
 * @example
 * spawn(nodeBinaryFor('nodejs24.x'), ['bootstrap.mjs']);
 */
export function nodeBinaryFor(runtime: string): string {
  const major = runtimeMajor(runtime);
  const cached = cache.get(runtime);
  if (cached !== undefined) return cached;
  const candidates = [process.execPath];
  try {
    candidates.unshift(
      join(dirname(require.resolve(`node-${process.platform}-${process.arch}/package.json`)), 'bin', 'node'),
    );
  } catch {
    // not installed for this platform: the machine's own Node may still match
  }
  for (const binary of candidates) {
    const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
    if (Number(/^v(\d+)/.exec(version)?.[1]) === major) {
      cache.set(runtime, binary);
      return binary;
    }
  }
  throw new RuntimeUnavailableError(
    `no Node.js ${major} for the ${runtime} functions: install dependencies (pnpm install brings ` +
      `node-${process.platform}-${process.arch}) or run the stack with Node.js ${major}`,
  );
}
