import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatasetDeclarationError } from '@herald/ingest';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { addHeraldStack } from '../../lib/app.ts';

// The adopter's herald.datasets.json is read and checked at synth: `npm run dev` (which
// synthesizes), `cdk synth` and `cdk deploy` all stop on a bad one, listing every problem.

function synthWith(declaration: unknown, migrations: Record<string, string> = {}): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'herald-infra-datasets-'));
  const file = join(dir, 'herald.datasets.json');
  writeFileSync(file, typeof declaration === 'string' ? declaration : JSON.stringify(declaration));
  mkdirSync(join(dir, 'datasets', 'migrations'), { recursive: true });
  for (const [name, sql] of Object.entries(migrations))
    writeFileSync(join(dir, 'datasets', 'migrations', name), sql);
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], env: 'dev' } });
  try {
    addHeraldStack(app, { nag: false, stackProps: { datasetsFile: file } });
    return undefined;
  } catch (error) {
    return error;
  }
}

const dataset = {
  name: 'orders',
  mode: 'append',
  columns: [{ name: 'order_id', type: 'uuid', required: true }],
  maxFileBytes: 1000,
};

describe('synth with the adopter’s dataset declarations', () => {
  it('fails on a bad declaration file, listing every problem', () => {
    const error = synthWith({
      datasets: [
        { ...dataset, columns: [{ name: 'order', type: 'money' }] },
        { ...dataset, name: 'events', key: ['nope'] },
      ],
    });
    expect(error).toBeInstanceOf(DatasetDeclarationError);
    expect((error as DatasetDeclarationError).problems).toEqual([
      'dataset "orders", column "order": unknown type "money"; use one of uuid, integer, bigint, numeric(p,s), boolean, date, timestamptz, text',
      'dataset "orders", column "order": "order" is not a safe column name: use a lower-case letter, then letters, digits or _ (at most 63), and no SQL reserved word',
      'dataset "events": key "nope" is not a declared column',
    ]);
  });

  it('fails on a file that is not JSON', () => {
    expect(String(synthWith('{ "datasets": [ }'))).toMatch(
      /herald\.datasets\.json has 1 problem:\n {2}- is not valid JSON/,
    );
  });

  it('fails on a sound declaration that no committed migration applies', () => {
    const error = synthWith({ datasets: [dataset] });
    expect(error).toBeInstanceOf(DatasetDeclarationError);
    expect((error as DatasetDeclarationError).problems[0]).toBe(
      'dataset "orders" is declared but no migration creates it',
    );
  });

  it('synthesizes when the committed migrations record exactly the declarations', () => {
    // An empty declaration with no migrations: nothing to create, nothing to drift from.
    expect(synthWith({ datasets: [] })).toBeUndefined();
  });
});
