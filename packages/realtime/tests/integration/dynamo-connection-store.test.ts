import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, inject } from 'vitest';
import { DynamoConnectionStore } from '../../src/adapters/dynamo-connection-store.ts';
import { CONNECTIONS_TABLE, createTableInput } from '../../src/tables.ts';
import { describeConnectionStoreContract } from '../contracts/connection-store.contract.ts';

// The run's local stack (packages/local/tests/global-setup.ts) provides its endpoints.
const { dynamodb } = inject('stack' as never) as { dynamodb: { endpoint: string } };
const raw = new DynamoDBClient({
  endpoint: dynamodb.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const doc = DynamoDBDocumentClient.from(raw);
afterAll(() => raw.destroy());

// The same contract the in-memory fake passes, on real dynalite: a fresh table per test.
describeConnectionStoreContract('DynamoConnectionStore on dynalite', async () => {
  const tableName = `t-${randomBytes(4).toString('hex')}-connections`;
  await raw.send(new CreateTableCommand(createTableInput(CONNECTIONS_TABLE, tableName)));
  // dynalite, like DynamoDB, answers ResourceNotFound until the table is ACTIVE.
  await waitUntilTableExists(
    { client: raw, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.2 },
    { TableName: tableName },
  );
  return new DynamoConnectionStore({ client: doc, tableName });
});
