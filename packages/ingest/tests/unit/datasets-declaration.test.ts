import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkDeclaredDatasets,
  DatasetsFileSchema,
  datasetFromRecord,
  datasetsJsonSchema,
  declaredForm,
  parseDatasetsDeclaration,
  readDatasetsFile,
} from '../../src/datasets/index.ts';
import { DatasetDeclarationError } from '../../src/errors.ts';
import { REPO_ROOT, SAMPLE_DATASETS, SAMPLE_DATASETS_FILE } from '../support/sample-datasets.ts';

/** A sound dataset in the file's form, to break one field at a time. */
const orders = () => ({
  name: 'orders',
  mode: 'upsert',
  key: ['order_id'],
  columns: [
    { name: 'order_id', type: 'uuid', required: true },
    { name: 'total', type: 'numeric(10,2)' },
    { name: 'note', type: 'text', maxLength: 200, aliases: ['Comment'] },
  ],
  maxFileBytes: 1_000_000,
  uploadGroups: ['sales'],
});

/** The problems of a file with these datasets (empty when it is sound). */
function problems(...datasets: unknown[]): readonly string[] {
  const result = parseDatasetsDeclaration({ datasets });
  return result.ok ? [] : result.problems;
}

type Orders = ReturnType<typeof orders>;

/** `d` with its column `i` replaced (by anything: the point is to refuse it). */
const withColumn = (d: Orders, i: number, column: Record<string, unknown>) => ({
  ...d,
  columns: d.columns.map((c, j) => (j === i ? column : c)),
});

/** The problems of `orders()` changed by `patch`. */
function problemsOf(patch: (d: Orders) => unknown): readonly string[] {
  return problems(patch(orders()));
}

describe('parseDatasetsDeclaration', () => {
  it('turns a sound file into definitions, defaults written out', () => {
    const result = parseDatasetsDeclaration({ $schema: './x.json', datasets: [orders()] });
    expect(result).toEqual({
      ok: true,
      datasets: [
        {
          name: 'orders',
          table: 'orders',
          mode: 'upsert',
          key: ['order_id'],
          columns: [
            { name: 'order_id', type: { kind: 'uuid' }, required: true },
            { name: 'total', type: { kind: 'numeric', precision: 10, scale: 2 }, required: false },
            { name: 'note', type: { kind: 'text', maxLength: 200 }, required: false, aliases: ['Comment'] },
          ],
          maxRejects: 0,
          maxFileBytes: 1_000_000,
          uploadGroups: ['sales'],
        },
      ],
    });
  });

  it('denies uploads by default: no uploadGroups is nobody', () => {
    const { uploadGroups: _, ...closed } = orders();
    const result = parseDatasetsDeclaration({ datasets: [closed] });
    expect(result.ok && result.datasets[0]?.uploadGroups).toEqual([]);
  });

  // One refused declaration each: the sentence names the dataset, the column and what to do.
  it.each<[string, (d: Orders) => unknown, string]>([
    [
      'an unknown type',
      (d) => withColumn(d, 1, { name: 'total', type: 'money' }),
      'dataset "orders", column "total": unknown type "money"; use one of uuid, integer, bigint, numeric(p,s), boolean, date, timestamptz, text',
    ],
    [
      'varchar instead of text with a maxLength',
      (d) => withColumn(d, 2, { name: 'note', type: 'varchar(200)' }),
      'dataset "orders", column "note": unknown type "varchar(200)"',
    ],
    [
      'a reserved word as a column name',
      (d) => withColumn(d, 1, { name: 'order', type: 'integer' }),
      'dataset "orders", column "order": "order" is not a safe column name',
    ],
    [
      'an unsafe column name',
      (d) => withColumn(d, 1, { name: 'Total Amount', type: 'integer' }),
      'dataset "orders", column "Total Amount": "Total Amount" is not a safe column name',
    ],
    [
      'a column name Herald reserves',
      (d) => withColumn(d, 1, { name: '_job_id', type: 'uuid' }),
      'dataset "orders", column "_job_id": names starting with "_" are reserved for columns Herald adds',
    ],
    [
      'a key column that is not required',
      (d) => ({ ...d, key: ['total'] }),
      'dataset "orders": key column "total" must be required',
    ],
    [
      'a key that is not a column',
      (d) => ({ ...d, key: ['id'] }),
      'dataset "orders": key "id" is not a declared column',
    ],
    [
      'an upsert without a key',
      (d) => ({ ...d, key: [] }),
      'dataset "orders": upsert needs a key (the columns that say which row a line updates)',
    ],
    [
      'a column declared twice',
      (d) => ({ ...d, columns: [...d.columns, { name: 'total', type: 'integer' }] }),
      'dataset "orders": column "total" is declared twice',
    ],
    [
      'an alias that repeats another column',
      (d) => withColumn(d, 2, { name: 'note', type: 'text', aliases: [' TOTAL '] }),
      'dataset "orders", column "note": header name " TOTAL " already names column "total"',
    ],
    [
      'a blank alias',
      (d) => withColumn(d, 2, { name: 'note', type: 'text', aliases: ['  '] }),
      'dataset "orders", column "note": alias "  " can never match a header',
    ],
    [
      'maxLength on a number',
      (d) => withColumn(d, 1, { name: 'total', type: 'integer', maxLength: 3 }),
      'dataset "orders", column "total": maxLength applies to text only, not to integer',
    ],
    [
      'a numeric scale above its precision',
      (d) => withColumn(d, 1, { name: 'total', type: 'numeric(2,3)' }),
      'dataset "orders", column "total": numeric scale 3 is larger than its precision 2',
    ],
    [
      'a table Herald owns',
      (d) => ({ ...d, table: 'ingest_jobs' }),
      'dataset "orders": table "ingest_jobs" is Herald\'s own',
    ],
    [
      'a reserved word as a table name',
      (d) => ({ ...d, table: 'select' }),
      'dataset "orders": "select" is not a safe table name',
    ],
    [
      'a dataset name in capitals',
      (d) => ({ ...d, name: 'Orders', table: 'orders' }),
      'dataset "Orders": the name must be a lower-case identifier',
    ],
    ['an unknown mode', (d) => ({ ...d, mode: 'merge' }), 'dataset "orders", mode:'],
    [
      'a file limit above one presigned PUT',
      (d) => ({ ...d, maxFileBytes: 6 * 1024 ** 3 }),
      'dataset "orders", maxFileBytes: 6442450944 is more than 5 GiB, the most one presigned S3 PUT uploads',
    ],
    ['a negative maxRejects', (d) => ({ ...d, maxRejects: -1 }), 'dataset "orders", maxRejects:'],
    [
      'no maxFileBytes',
      (d) => ({ ...d, maxFileBytes: undefined }),
      'dataset "orders", maxFileBytes: is missing',
    ],
    [
      'a group name Cognito cannot have',
      (d) => ({ ...d, uploadGroups: ['sales team'] }),
      'dataset "orders", uploadGroups[0]: "sales team" is not a Cognito group name',
    ],
    [
      'no columns',
      (d) => ({ ...d, key: [], mode: 'append', columns: [] }),
      'dataset "orders": declares no columns',
    ],
    ['a misspelt field', (d) => ({ ...d, maxRejected: 3 }), 'dataset "orders": unknown field "maxRejected"'],
    [
      'a misspelt column field',
      (d) => withColumn(d, 0, { name: 'order_id', type: 'uuid', required: true, nullable: false }),
      'dataset "orders", column "order_id": unknown field "nullable"',
    ],
  ])('refuses %s, saying so', (_label, patch, sentence) => {
    const found = problemsOf(patch);
    expect(
      found.some((p) => p.startsWith(sentence)),
      found.join('\n'),
    ).toBe(true);
  });

  it('refuses two datasets with one name, and two datasets on one table', () => {
    expect(problems(orders(), orders())).toContain('dataset "orders" is declared twice');
    expect(problems(orders(), { ...orders(), name: 'orders_copy', table: 'orders' })).toContain(
      'dataset "orders_copy": table "orders" is already the table of dataset "orders"',
    );
  });

  it('refuses a file that is not an object with datasets', () => {
    expect(parseDatasetsDeclaration([])).toEqual({
      ok: false,
      problems: ['the file must hold a JSON object with "datasets"'],
    });
    expect(parseDatasetsDeclaration({ dataset: [] })).toEqual({
      ok: false,
      problems: ['the file, datasets: is missing', 'the file: unknown field "dataset"'],
    });
  });

  it('lists every problem of a file at once, across datasets and columns', () => {
    const found = problems(
      {
        ...orders(),
        key: ['total', 'nope'],
        columns: [
          { name: 'order_id', type: 'uuid', required: true },
          { name: 'total', type: 'money' },
          { name: 'select', type: 'text', maxLength: 0 },
        ],
      },
      { name: 'events', mode: 'append', columns: [{ name: 'at', type: 'timestamp' }], maxFileBytes: 0 },
      orders(),
    );
    expect(found).toEqual([
      'dataset "orders", column "total": unknown type "money"; use one of uuid, integer, bigint, numeric(p,s), boolean, date, timestamptz, text',
      'dataset "orders", column "select", maxLength: must be a whole number from 1 to 10485760',
      'dataset "orders", column "select": "select" is not a safe column name: use a lower-case letter, then letters, digits or _ (at most 63), and no SQL reserved word',
      'dataset "orders": key column "total" must be required (a key value can never be empty)',
      'dataset "orders": key "nope" is not a declared column',
      'dataset "events", maxFileBytes: must be at least 1 byte',
      'dataset "events", column "at": unknown type "timestamp"; use one of uuid, integer, bigint, numeric(p,s), boolean, date, timestamptz, text',
      'dataset "orders" is declared twice',
    ]);
  });
});

describe('the declaration file on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-datasets-'));
  const write = (text: string) => {
    const file = join(dir, 'herald.datasets.json');
    writeFileSync(file, text);
    return file;
  };

  it('reads the shipped sample', () => {
    expect(readDatasetsFile(SAMPLE_DATASETS_FILE)).toEqual(SAMPLE_DATASETS);
  });

  it('refuses a file that is not JSON, or not sound, with a DatasetDeclarationError listing every problem', () => {
    expect(() => readDatasetsFile(write('{"datasets": ['))).toThrow(DatasetDeclarationError);
    const error = (() => {
      try {
        readDatasetsFile(write(JSON.stringify({ datasets: [{ ...orders(), key: [] }, { name: 'x' }] })));
      } catch (e) {
        return e as DatasetDeclarationError;
      }
    })();
    expect(error?.problems.length).toBeGreaterThanOrEqual(3);
    expect(error?.message).toMatch(
      /herald\.datasets\.json has \d+ problems:\n {2}- dataset "orders": upsert needs a key/,
    );
  });

  it('refuses a sound file its committed migrations do not apply yet: the deploy would run without its tables', () => {
    const file = write(JSON.stringify({ datasets: [orders()] }));
    expect(() => checkDeclaredDatasets(file)).toThrow(
      /dataset "orders" is declared but no migration creates it[\s\S]*pnpm herald datasets migrate/,
    );
  });
});

describe('the recorded form of a declaration', () => {
  it('round-trips every sample dataset', () => {
    for (const dataset of SAMPLE_DATASETS) expect(datasetFromRecord(declaredForm(dataset))).toEqual(dataset);
  });

  it('is refused when it is not sound', () => {
    expect(
      datasetFromRecord({ ...declaredForm(SAMPLE_DATASETS[0] as never), mode: 'merge' }),
    ).toBeUndefined();
    expect(datasetFromRecord(null)).toBeUndefined();
  });
});

describe('docs/datasets.schema.json', () => {
  it('is the JSON Schema of the declaration file, as `pnpm gen:api` writes it', () => {
    const committed = JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'datasets.schema.json'), 'utf8'));
    expect(committed).toEqual(datasetsJsonSchema());
  });

  it('accepts the shipped sample', () => {
    const sample = JSON.parse(readFileSync(SAMPLE_DATASETS_FILE, 'utf8'));
    expect(DatasetsFileSchema.safeParse(sample).success).toBe(true);
  });
});
