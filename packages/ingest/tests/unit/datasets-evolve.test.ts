import { describe, expect, it } from 'vitest';
import {
  appliedDeclarations,
  type DatasetDefinition,
  datasetFromRecord,
  declarationDrift,
  declarationSql,
  planMigration,
} from '../../src/datasets/index.ts';

const orders: DatasetDefinition = {
  name: 'orders',
  table: 'orders',
  mode: 'append',
  key: [],
  columns: [
    { name: 'order_id', type: { kind: 'uuid' }, required: true },
    { name: 'total', type: { kind: 'numeric', precision: 10, scale: 2 }, required: false },
    { name: 'note', type: { kind: 'text', maxLength: 50 }, required: false },
  ],
  maxRejects: 0,
  maxFileBytes: 1000,
  uploadGroups: ['sales'],
};

const withColumns = (columns: DatasetDefinition['columns']): DatasetDefinition => ({ ...orders, columns });
const column = (name: string) =>
  orders.columns.find((c) => c.name === name) as DatasetDefinition['columns'][number];

/** The one change a plan from `orders` to `next` finds. */
function onlyChange(next: DatasetDefinition) {
  const plan = planMigration([orders], [next], { allowUnsafe: true });
  const changes = plan.changes;
  expect(changes, JSON.stringify(changes)).toHaveLength(1);
  return { change: changes[0] as (typeof changes)[number], plan };
}

describe('planMigration: safe changes apply on their own', () => {
  it('creates a new dataset: its domains, table, _job_id index and declaration', () => {
    const plan = planMigration([], [orders]);
    expect(plan.refused).toEqual([]);
    expect(plan.changes.map((c) => [c.safe, c.sentence])).toEqual([
      [true, 'orders: new dataset, table orders (3 columns, append).'],
    ]);
    expect(plan.statements).toEqual([
      'CREATE DOMAIN ingest_numeric_10_2 AS numeric CHECK (min_scale(VALUE) <= 2 AND abs(VALUE) < 1e8);',
      'CREATE DOMAIN ingest_req_uuid AS uuid NOT NULL;',
      'CREATE DOMAIN ingest_text_50 AS text CHECK (char_length(VALUE) <= 50);',
      expect.stringMatching(/^CREATE TABLE orders \(\n {2}order_id ingest_req_uuid NOT NULL,/),
      expect.stringMatching(/^CREATE INDEX orders_job_id ON orders /),
      declarationSql(orders),
    ]);
  });

  it.each<[string, DatasetDefinition, string, string[]]>([
    [
      'a new optional column',
      withColumns([
        ...orders.columns,
        { name: 'channel', type: { kind: 'text', maxLength: 16 }, required: false },
      ]),
      'orders: new optional column channel text(16).',
      ['ALTER TABLE orders ADD COLUMN channel ingest_text_16;'],
    ],
    [
      'a longer max length',
      withColumns([
        column('order_id'),
        column('total'),
        { ...column('note'), type: { kind: 'text', maxLength: 200 } },
      ]),
      'orders: column note from text(50) to text(200) (every value it holds still fits).',
      ['ALTER TABLE orders ALTER COLUMN note TYPE ingest_text_200;'],
    ],
    [
      'no max length any more',
      withColumns([column('order_id'), column('total'), { ...column('note'), type: { kind: 'text' } }]),
      'orders: column note from text(50) to text (every value it holds still fits).',
      ['ALTER TABLE orders ALTER COLUMN note TYPE text;'],
    ],
    [
      'a wider numeric',
      withColumns([
        column('order_id'),
        { ...column('total'), type: { kind: 'numeric', precision: 14, scale: 4 } },
        column('note'),
      ]),
      'orders: column total from numeric(10,2) to numeric(14,4) (every value it holds still fits).',
      ['ALTER TABLE orders ALTER COLUMN total TYPE ingest_numeric_14_4;'],
    ],
    [
      'a column made optional',
      withColumns([{ ...column('order_id'), required: false }, column('total'), column('note')]),
      'orders: column order_id becomes optional.',
      [
        'ALTER TABLE orders ALTER COLUMN order_id DROP NOT NULL;',
        'ALTER TABLE orders ALTER COLUMN order_id TYPE uuid;',
      ],
    ],
    [
      'a new header alias',
      withColumns([column('order_id'), column('total'), { ...column('note'), aliases: ['Comment'] }]),
      'orders: column note header aliases ["Comment"].',
      [],
    ],
    [
      'new groups and limits',
      { ...orders, uploadGroups: ['sales', 'finance'], maxRejects: 5 },
      'orders: maxRejects 5, uploadGroups ["sales","finance"].',
      [],
    ],
  ])('%s', (_label, next, sentence, sql) => {
    const { change, plan } = onlyChange(next);
    expect(change).toEqual({ dataset: 'orders', safe: true, sentence, sql });
    expect(planMigration([orders], [next]).refused).toEqual([]);
    // Every migration records the declaration it brings the table to.
    expect(plan.statements.at(-1)).toBe(declarationSql(next));
  });
});

describe('planMigration: unsafe changes are refused with a sentence, unless allowed', () => {
  it.each<[string, DatasetDefinition[], RegExp, string[]]>([
    [
      'dropping a column',
      [withColumns([column('order_id'), column('total')])],
      /^orders: dropping column note deletes its value in every row of orders\. To keep the values, declare it again/,
      ['ALTER TABLE orders DROP COLUMN note;'],
    ],
    [
      'a new required column',
      [
        withColumns([
          ...orders.columns,
          { name: 'region', type: { kind: 'text', maxLength: 8 }, required: true },
        ]),
      ],
      /^orders: new column region is required, but the rows already in orders have no value for it\. Add it as optional/,
      ['ALTER TABLE orders ADD COLUMN region ingest_req_text_8 NOT NULL;'],
    ],
    [
      'a shorter max length',
      [
        withColumns([
          column('order_id'),
          column('total'),
          { ...column('note'), type: { kind: 'text', maxLength: 10 } },
        ]),
      ],
      /^orders: column note from text\(50\) to text\(10\) narrows it/,
      ['ALTER TABLE orders ALTER COLUMN note TYPE ingest_text_10;'],
    ],
    [
      'fewer decimals',
      [
        withColumns([
          column('order_id'),
          { ...column('total'), type: { kind: 'numeric', precision: 10, scale: 1 } },
          column('note'),
        ]),
      ],
      /^orders: column total from numeric\(10,2\) to numeric\(10,1\) narrows it/,
      ['ALTER TABLE orders ALTER COLUMN total TYPE ingest_numeric_10_1;'],
    ],
    [
      'another type',
      [withColumns([column('order_id'), { ...column('total'), type: { kind: 'integer' } }, column('note')])],
      /^orders: column total from numeric\(10,2\) to integer changes its type/,
      ['ALTER TABLE orders ALTER COLUMN total TYPE integer USING total::text::integer;'],
    ],
    [
      'integer to bigint (a table rewrite under an exclusive lock)',
      [
        withColumns([...orders.columns, { name: 'n', type: { kind: 'integer' }, required: false }]),
        withColumns([...orders.columns, { name: 'n', type: { kind: 'bigint' }, required: false }]),
      ],
      /^orders: column n from integer to bigint changes its type/,
      ['ALTER TABLE orders ALTER COLUMN n TYPE bigint USING n::text::bigint;'],
    ],
    [
      'a column made required',
      [withColumns([column('order_id'), { ...column('total'), required: true }, column('note')])],
      /^orders: making column total required fails if any row of orders has no value for it/,
      [
        'ALTER TABLE orders ALTER COLUMN total TYPE ingest_req_numeric_10_2;',
        'ALTER TABLE orders ALTER COLUMN total SET NOT NULL;',
      ],
    ],
    [
      'a new key',
      [{ ...orders, key: ['order_id'] }],
      /^orders: a new key \(order_id\) fails if rows already in orders repeat it/,
      ['ALTER TABLE orders ADD PRIMARY KEY (order_id);'],
    ],
    [
      'another table',
      [{ ...orders, table: 'sales_orders' }],
      /^orders: moving the dataset from table orders to sales_orders renames a table/,
      [
        'ALTER TABLE orders RENAME TO sales_orders;',
        'ALTER INDEX orders_job_id RENAME TO sales_orders_job_id;',
      ],
    ],
    [
      'a dataset no longer declared',
      [],
      /^orders: no longer declared; dropping table orders deletes every row it holds/,
      ['DROP TABLE orders;'],
    ],
  ])('refuses %s', (_label, steps, sentence, sql) => {
    // The last step is the declaration; earlier ones (if any) what is applied.
    const applied = steps.length > 1 ? [steps[0] as DatasetDefinition] : [orders];
    const declared = steps.length > 1 ? [steps[1] as DatasetDefinition] : steps;
    const refused = planMigration(applied, declared);
    expect(refused.statements).toEqual([]);
    expect(refused.refused).toHaveLength(1);
    expect(refused.refused[0]?.safe).toBe(false);
    expect(refused.refused[0]?.sentence).toMatch(sentence);
    expect(refused.refused[0]?.sentence).toMatch(/--allow-unsafe/);
    const allowed = planMigration(applied, declared, { allowUnsafe: true });
    expect(allowed.refused).toEqual([]);
    expect(allowed.changes[0]?.sql).toEqual(sql);
    expect(allowed.statements).toContain(`-- UNSAFE, allowed: ${allowed.changes[0]?.sentence}`);
  });

  it('refuses the whole migration when one change is unsafe, naming only that one', () => {
    const next = withColumns([
      column('order_id'),
      column('total'),
      { name: 'channel', type: { kind: 'text', maxLength: 16 }, required: false },
    ]);
    const plan = planMigration([orders], [next]);
    expect(plan.changes.map((c) => c.safe)).toEqual([false, true]);
    expect(plan.refused.map((c) => c.sentence)).toEqual([expect.stringContaining('dropping column note')]);
    expect(plan.statements).toEqual([]);
  });

  it('finds nothing to do when the declarations match', () => {
    expect(planMigration([orders], [orders])).toEqual({ changes: [], refused: [], statements: [] });
  });
});

describe('the declarations recorded by migrations', () => {
  it('are replayed from the SQL in order: a later record replaces, a forget removes', () => {
    const wider = withColumns([
      ...orders.columns,
      { name: 'channel', type: { kind: 'text' }, required: false },
    ]);
    const events = { ...orders, name: 'events', table: 'events' };
    const replayed = appliedDeclarations(
      [
        {
          file: '001_a.sql',
          sql: `CREATE TABLE x ();\n${declarationSql(orders)}\n${declarationSql(events)}`,
        },
        {
          file: '002_b.sql',
          sql: `${declarationSql(wider)}\nDELETE FROM ingest_datasets WHERE name = 'events';`,
        },
      ],
      datasetFromRecord,
    );
    expect(replayed).toEqual({ datasets: [wider], problems: [] });
  });

  it('reports a record that is not a sound declaration', () => {
    const broken = declarationSql(orders).replace('"mode": "append"', '"mode": "merge"');
    expect(appliedDeclarations([{ file: '001_a.sql', sql: broken }], datasetFromRecord).problems).toEqual([
      '001_a.sql: the declaration recorded for dataset "orders" is not a sound declaration',
    ]);
  });

  it('drift: what differs between the committed migrations and the file', () => {
    expect(declarationDrift([orders], [orders])).toEqual([]);
    expect(declarationDrift([], [orders])).toEqual([
      'dataset "orders" is declared but no migration creates it',
    ]);
    expect(declarationDrift([orders], [{ ...orders, maxRejects: 1 }])).toEqual([
      'dataset "orders" differs from its last migration',
    ]);
    expect(declarationDrift([orders], [])).toEqual([
      'dataset "orders" has a table but is no longer declared',
    ]);
  });
});
