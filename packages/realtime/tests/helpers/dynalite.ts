import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { createTableInput, type TableDefinition } from '../../src/tables.ts';

/** Clients on the run's local DynamoDB (dynalite), and a fresh table per call. */
export function dynalite() {
  // The run's local stack (packages/local/tests/global-setup.ts) provides its endpoints.
  const { dynamodb } = inject('stack' as never) as { dynamodb: { endpoint: string } };
  const raw = new DynamoDBClient({
    endpoint: dynamodb.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const documents = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  return {
    raw,
    documents,
    /** Creates a uniquely named table from a definition and waits until it is ACTIVE. */
    async freshTable(def: TableDefinition): Promise<string> {
      const tableName = `t-${randomBytes(4).toString('hex')}-${def.baseName}`;
      await raw.send(new CreateTableCommand(createTableInput(def, tableName)));
      // dynalite, like DynamoDB, answers ResourceNotFound until the table is ACTIVE.
      await waitUntilTableExists(
        { client: raw, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.2 },
        { TableName: tableName },
      );
      return tableName;
    },
  };
}
