import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import * as protocol from '../../src/index.ts';
import * as wire from '../../src/wire.ts';

describe('@herald/protocol/wire', () => {
  it('bundles without zod, so the SDK that imports it stays small', async () => {
    const result = await build({
      entryPoints: [fileURLToPath(new URL('../../src/wire.ts', import.meta.url))],
      bundle: true,
      write: false,
      metafile: true,
      format: 'esm',
      platform: 'neutral',
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.length).toBeGreaterThan(0);
    expect(inputs.filter((input) => /(^|\/)zod\//.test(input))).toEqual([]);
    expect(inputs.filter((input) => input.includes('node_modules'))).toEqual([]);
  });

  it('exports the same values as the main entry', () => {
    const main = new Map(Object.entries(protocol));
    for (const [name, value] of Object.entries(wire)) expect(main.get(name), name).toBe(value);
  });

  it('names the subprotocol and the close codes a client acts on', () => {
    expect(wire.HERALD_SUBPROTOCOL).toBe('herald.v1');
    expect(wire.AUTH_CLOSE_CODES).toEqual({ UNAUTHENTICATED: 4401, FORBIDDEN: 4403 });
    expect(wire.ORDERLY_CLOSE_CODES).toEqual({ NORMAL: 1000, GOING_AWAY: 1001 });
  });

  it('gives every REST route’s method and path as plain data', () => {
    expect(wire.REST_ENDPOINTS.getJob).toEqual({ method: 'GET', path: '/jobs/{id}' });
    expect(JSON.parse(JSON.stringify(wire.REST_ENDPOINTS))).toEqual(wire.REST_ENDPOINTS);
  });
});
