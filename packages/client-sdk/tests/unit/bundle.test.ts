import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { measureCoreBundle } from '../../scripts/size.ts';

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

  it('bundles the core entry for browsers without zod', async () => {
    const inputs = Object.keys((await measureCoreBundle()).inputs);
    expect(inputs.some((input) => input.endsWith('protocol/src/wire.ts'))).toBe(true);
    expect(inputs.filter((input) => input.includes('node_modules'))).toEqual([]);
  });

  it('leaves the streamed fetch uploader out of the browser bundle (only Node-like runtimes run it)', async () => {
    const inputs = Object.keys((await measureCoreBundle()).inputs);
    expect(inputs.filter((input) => input.endsWith('src/fetch-uploader.ts'))).toEqual([]);
    expect(inputs.some((input) => input.endsWith('src/fetch-uploader.browser.ts'))).toBe(true);
  });
});
