import { PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTables,
  dynaliteAbstractLevel,
  dynamoClient,
  LEVEL_ITERATORS,
  type LocalDynamo,
  startDynamo,
} from '../../src/dynamodb.ts';

// dynalite 4 + abstract-level 3 leaked one LevelDB iterator per Query (see dynamodb.ts). Its own
// dynalite in this worker (the run's stack lives in another process), with the iterators'
// `close` counted on the very abstract-level module dynalite loads.

const abstractLevel = dynaliteAbstractLevel();

let dynamo: LocalDynamo;
let closes = 0;
const restore: (() => void)[] = [];

beforeAll(async () => {
  for (const name of LEVEL_ITERATORS) {
    const proto = abstractLevel[name]?.prototype;
    if (!proto) throw new Error(`abstract-level has no ${name}`);
    const hadOwn = Object.hasOwn(proto, 'close');
    const original = proto.close;
    proto.close = function (this: unknown) {
      closes++;
      return original.call(this);
    };
    restore.push(() => {
      if (hadOwn) proto.close = original;
      else delete (proto as Partial<typeof proto>).close;
    });
  }
  dynamo = await startDynamo();
});
afterAll(async () => {
  for (const undo of restore) undo();
  await dynamo.stop();
});

describe('local DynamoDB (dynalite)', () => {
  it('closes the LevelDB iterator of every Query', async () => {
    const client = dynamoClient(dynamo.endpoint);
    const names = await createTables(client, 'iter');
    const table = names.Connections as string;
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: { connectionId: { S: 'c-1' }, userId: { S: 'u-1' }, expiresAt: { N: '9999999999' } },
      }),
    );
    const before = closes;
    const queries = 50;
    for (let i = 0; i < queries; i++) {
      const { Items } = await client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'connectionId = :id',
          ExpressionAttributeValues: { ':id': { S: 'c-1' } },
        }),
      );
      expect(Items).toHaveLength(1);
    }
    expect(closes - before).toBeGreaterThanOrEqual(queries);
    client.destroy();
  });
});
