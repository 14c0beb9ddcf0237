/**
 * Writes `docs/api/openapi.json` and `docs/api/asyncapi.json` from the `@herald/protocol` schemas,
 * and `docs/datasets.schema.json` (the JSON Schema of `herald.datasets.json`) from
 * `@herald/ingest/datasets`. Run it after changing a route, a schema or the contract, and commit
 * the result:
 *
 *   pnpm gen:api
 *
 * `packages/protocol/tests/unit/api-docs.test.ts` and
 * `packages/ingest/tests/unit/datasets-declaration.test.ts` fail while the committed files are stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { datasetsJsonSchema } from '@herald/ingest/datasets';
import { buildAsyncApi, buildOpenApi, type JsonValue } from '@herald/protocol/docs';

const LINE_WIDTH = 110;
const INDENT = '  ';

/**
 * JSON as Biome formats it (this repository's `biome.json`: 2 spaces, width 110), so `biome check`
 * and `npm run format` leave the generated files alone: objects one member per line; an array of
 * scalars on one line when that line fits, else one item per line.
 */
function formatJson(value: JsonValue, depth = 0, lead = 0, trail = 0): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  const pad = INDENT.repeat(depth + 1);
  const close = `\n${INDENT.repeat(depth)}`;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const scalars = value.every((item) => typeof item !== 'object' || item === null);
    const flat = `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
    if (scalars && lead + flat.length + trail <= LINE_WIDTH) return flat;
    const items = value.map((item, i) => {
      const comma = i < value.length - 1 ? 1 : 0;
      return `${pad}${formatJson(item, depth + 1, pad.length, comma)}`;
    });
    return `[\n${items.join(',\n')}${close}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  const members = entries.map(([key, item], i) => {
    const head = `${pad}${JSON.stringify(key)}: `;
    const comma = i < entries.length - 1 ? 1 : 0;
    return `${head}${formatJson(item, depth + 1, head.length, comma)}`;
  });
  return `{\n${members.join(',\n')}${close}}`;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'docs', 'api');
mkdirSync(outDir, { recursive: true });
for (const [file, document] of [
  [join(outDir, 'openapi.json'), buildOpenApi()],
  [join(outDir, 'asyncapi.json'), buildAsyncApi()],
  [join(root, 'docs', 'datasets.schema.json'), datasetsJsonSchema() as JsonValue],
] as const) {
  writeFileSync(file, `${formatJson(document)}\n`);
  console.log(`wrote ${relative(root, file)}`);
}
