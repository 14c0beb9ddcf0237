import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASETS_EXIT, datasetsMain } from '../../src/cli/datasets.ts';
import { parseDatasetsDeclaration } from '../../src/datasets/index.ts';
import { inferenceSample } from '../support/inference-samples.ts';
import { REPO_ROOT } from '../support/sample-datasets.ts';

async function run(cwd: string, ...argv: string[]) {
  let out = '';
  let err = '';
  const code = await datasetsMain(argv, {
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
    env: {},
    cwd,
  });
  return { code, out, err };
}

describe('herald datasets', () => {
  it('check: the shipped sample is sound and migrated', async () => {
    expect(await run(REPO_ROOT, 'check')).toEqual({
      code: DATASETS_EXIT.OK,
      out: 'herald.datasets.json: sound, and its migrations are committed.\n',
      err: '',
    });
  });

  it('lists every problem of a bad file and exits 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
    writeFileSync(
      join(dir, 'herald.datasets.json'),
      JSON.stringify({
        datasets: [{ name: 'x', mode: 'upsert', columns: [{ name: 'a', type: 'float' }], maxFileBytes: 1 }],
      }),
    );
    const { code, err } = await run(dir, 'plan');
    expect(code).toBe(DATASETS_EXIT.REFUSED);
    expect(err).toContain('herald.datasets.json has 2 problems:');
    expect(err).toContain('- dataset "x", column "a": unknown type "float"');
    expect(err).toContain('- dataset "x": upsert needs a key');
  });

  it('infer: prints a declaration the file accepts, and the table it would create', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
    writeFileSync(join(dir, 'sample.csv'), inferenceSample(40, { bom: true }).text);
    const { code, out } = await run(
      dir,
      'infer',
      'sample.csv',
      '--name',
      'orders',
      '--mode',
      'upsert',
      '--key',
      'order_id',
    );
    expect(code).toBe(DATASETS_EXIT.OK);
    expect(out).toContain('Inferred from 40 rows of sample.csv.');
    const json = out.slice(out.indexOf('{'), out.indexOf('\n}\n') + 2);
    expect(parseDatasetsDeclaration({ datasets: [JSON.parse(json)] }).ok).toBe(true);
    expect(out).toContain('CREATE TABLE orders (\n  order_id ingest_req_uuid NOT NULL,');
    expect(out).toContain('PRIMARY KEY (order_id)');
  });

  it.each([
    [['infer', 'sample.csv'], 'infer needs --name'],
    [['infer'], 'infer takes one sample file'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['plan', '--nope'], "Unknown option '--nope'"],
  ])('refuses %j as a usage mistake (exit 2)', async (argv, message) => {
    const { code, err } = await run(REPO_ROOT, ...argv);
    expect(code).toBe(DATASETS_EXIT.USAGE);
    expect(err).toContain(message);
  });
});
