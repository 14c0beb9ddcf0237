import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CORE_BUDGET_BYTES, measureCoreBundle } from '../../scripts/size.ts';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : /\.tsx?$/.test(entry.name)
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('the SDK bundle', () => {
  it('imports @herald/protocol only through its zod-free wire entry', () => {
    const imports = sources(SRC).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/from '(@herald\/protocol[^']*)'/g)].map(
        (match) => `${file.slice(SRC.length + 1)}: ${match[1]}`,
      ),
    );
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((line) => !line.endsWith(': @herald/protocol/wire'))).toEqual([]);
  });

  it(`keeps the core entry, minified and gzip -9'd, within ${CORE_BUDGET_BYTES} bytes`, async () => {
    const { minified, gzip, gzip9 } = await measureCoreBundle();
    console.info(`core entry: ${minified} bytes minified, ${gzip} gzipped, ${gzip9} at -9`);
    expect(gzip9).toBeLessThanOrEqual(CORE_BUDGET_BYTES);
  });

  it('bundles the core entry for browsers without zod', async () => {
    const inputs = Object.keys((await measureCoreBundle()).inputs);
    expect(inputs.some((input) => input.endsWith('protocol/src/wire.ts'))).toBe(true);
    expect(inputs.filter((input) => input.includes('node_modules'))).toEqual([]);
  });

  it('leaves Node-only code out of the browser bundle: the streamed fetch uploader, Node streams, `ws` handshakes', async () => {
    const inputs = Object.keys((await measureCoreBundle()).inputs);
    for (const module of ['fetch-uploader', 'node-only']) {
      expect(inputs.filter((input) => input.endsWith(`src/${module}.ts`))).toEqual([]);
      expect(inputs.some((input) => input.endsWith(`src/${module}.browser.ts`))).toBe(true);
    }
  });
});
