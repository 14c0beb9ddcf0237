// Prints the size of the SDK's core entry as a browser app bundles it:
// `pnpm --filter @herald/client-sdk size` (`--files` adds each source file's minified bytes).
// The README's "Size" section gives the same figure with the esbuild CLI and GNU gzip; Node's zlib
// deflates slightly differently, so the two may differ by a few bytes.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/**
 * The budget of the core entry, gzipped: the "≤ 10 kB" of the SDK's requirements, read as
 * 10,240 bytes.
 *
 * @example
 * if (size.gzip9 > CORE_BUDGET_BYTES) throw new Error('over budget');
 */
export const CORE_BUDGET_BYTES = 10_240;

/**
 * What the core entry weighs: minified, gzipped at the default level (`gzip -c`) and at `-9`,
 * and the minified bytes each input file contributes.
 *
 * @example
 * const { gzip9 } = await measureCoreBundle();
 */
export interface CoreBundleSize {
  readonly minified: number;
  readonly gzip: number;
  readonly gzip9: number;
  readonly inputs: Readonly<Record<string, number>>;
  /** The bundle itself, to check what it contains. */
  readonly code: string;
}

/**
 * Bundles `src/index.ts` as the README's command does (esbuild, `--bundle --minify --format=esm
 * --platform=browser`, so the `browser` import condition applies) and measures it.
 *
 * @example
 * const { gzip } = await measureCoreBundle();
 * console.log(`${gzip} bytes gzipped`);
 */
export async function measureCoreBundle(): Promise<CoreBundleSize> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const [file] = result.outputFiles;
  const output = Object.values(result.metafile.outputs)[0];
  if (!file || !output) throw new Error('esbuild produced no bundle');
  const inputs = Object.fromEntries(
    Object.entries(output.inputs).map(([path, { bytesInOutput }]) => [path, bytesInOutput]),
  );
  return {
    minified: file.contents.byteLength,
    gzip: gzipSync(file.contents).byteLength,
    gzip9: gzipSync(file.contents, { level: 9 }).byteLength,
    inputs,
    code: file.text,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const size = await measureCoreBundle();
  if (process.argv.includes('--files')) {
    for (const [path, bytes] of Object.entries(size.inputs).sort((a, b) => b[1] - a[1])) {
      console.log(`${String(bytes).padStart(7)}  ${path}`);
    }
  }
  console.log(
    `@herald/client-sdk core entry: ${size.minified} bytes minified, ${size.gzip} gzipped (-9: ${size.gzip9}); budget ${CORE_BUDGET_BYTES}`,
  );
}
