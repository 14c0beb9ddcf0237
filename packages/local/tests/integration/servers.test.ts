import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { CONNECTIONS_TABLE } from '@herald/realtime/tables';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTables } from '../../src/dynamodb.ts';
import { stack, uniqueName } from '../support.ts';

describe('local PostgreSQL', () => {
  const client = new pg.Client({ connectionString: stack().postgres.connectionString });
  beforeAll(() => client.connect());
  afterAll(() => client.end());

  it('answers SQL as a real PostgreSQL 18 server', async () => {
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    expect(Number(rows[0]?.v)).toBeGreaterThanOrEqual(180000);
  });

  it('has the packages’ migrations applied', async () => {
    const { rows } = await client.query<{ migration: string }>(
      "SELECT package || '/' || version || '_' || name AS migration FROM schema_migrations",
    );
    expect(rows.map((r) => r.migration)).toEqual(
      expect.arrayContaining(['ingest/1_ingest_jobs', 'files/1_file_grants']),
    );
    const cols = await client.query(
      "SELECT table_name, column_name FROM information_schema.columns WHERE table_name IN ('ingest_jobs', 'file_grants')",
    );
    expect(cols.rows.map((r) => `${r.table_name}.${r.column_name}`)).toEqual(
      expect.arrayContaining([
        'ingest_jobs.job_id',
        'ingest_jobs.user_id',
        'ingest_jobs.state',
        'file_grants.path_prefix',
      ]),
    );
  });

  it('gives each test file its own schema', async () => {
    const schema = uniqueName('t');
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`CREATE TABLE ${schema}.items (id int primary key)`);
    await client.query(`INSERT INTO ${schema}.items VALUES (1), (2)`);
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${schema}.items`);
    expect(rows[0]).toEqual({ n: 2 });
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
  });
});

describe('local S3', () => {
  const s3 = new S3Client({
    endpoint: stack().s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    // Without these the SDK streams with aws-chunked framing, which s3rver stores verbatim.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const bucket = stack().s3.buckets.uploads;
  const prefix = `${uniqueName('t')}/`;
  afterAll(() => s3.destroy());

  it('puts, heads and gets an object', async () => {
    const key = `${prefix}hello.txt`;
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'hello, herald', ContentType: 'text/plain' }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentLength).toBe(13);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(await got.Body?.transformToString()).toBe('hello, herald');
  });

  it('serves presigned PUT and GET URLs to plain fetch', async () => {
    const key = `${prefix}presigned.csv`;
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: 60,
    });
    const put = await fetch(putUrl, { method: 'PUT', body: 'a,b\n1,2\n' });
    expect(put.status).toBe(200);
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: 60,
    });
    const get = await fetch(getUrl);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe('a,b\n1,2\n');
  });
});

describe('local DynamoDB', () => {
  const raw = new DynamoDBClient({
    endpoint: stack().dynamodb.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const doc = DynamoDBDocumentClient.from(raw);
  const prefix = `${uniqueName('t')}-`;
  let table = '';
  beforeAll(async () => {
    const names = await createTables(raw, prefix);
    table = names[CONNECTIONS_TABLE.id] as string;
  });
  afterAll(() => raw.destroy());

  it('creates tables from the shared definitions, GSI included', async () => {
    const { Table } = await raw.send(new DescribeTableCommand({ TableName: table }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'connectionId', KeyType: 'HASH' }]);
    expect(Table?.GlobalSecondaryIndexes?.map((g) => g.IndexName)).toEqual(['byUser']);
  });

  it('puts items and queries them back through the GSI', async () => {
    for (const [connectionId, userId, connectedAt] of [
      ['c1=', 'u1', 1],
      ['c2=', 'u1', 2],
      ['c3=', 'u2', 3],
    ] as const) {
      await doc.send(new PutCommand({ TableName: table, Item: { connectionId, userId, connectedAt } }));
    }
    const { Items } = await doc.send(
      new QueryCommand({
        TableName: table,
        IndexName: 'byUser',
        KeyConditionExpression: 'userId = :u',
        ExpressionAttributeValues: { ':u': 'u1' },
      }),
    );
    expect(Items?.map((i) => i.connectionId).sort()).toEqual(['c1=', 'c2=']);
  });
});
