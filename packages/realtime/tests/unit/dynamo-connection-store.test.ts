import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { DynamoConnectionStore } from '../../src/adapters/dynamo-connection-store.ts';
import { ConnectionStoreError } from '../../src/errors.ts';

// Adapter-level checks with the SDK's `send` stubbed: which commands go out and how answers
// and failures come back. Behaviour against a real DynamoDB API is the integration suite's job
// (`describeConnectionStoreContract` on dynalite).

const now = Date.parse('2025-06-01T12:00:00Z');
const seconds = now / 1000;

function stubbedStore(answer: (command: unknown) => unknown) {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    }),
  );
  const commands: unknown[] = [];
  vi.spyOn(client, 'send').mockImplementation((async (command: unknown) => {
    commands.push(command);
    return answer(command);
  }) as never);
  return { store: new DynamoConnectionStore({ client, tableName: 'test-connections' }), commands };
}

describe('DynamoConnectionStore', () => {
  it('puts exactly the record’s attributes into the configured table', async () => {
    const { store, commands } = stubbedStore(() => ({}));
    await store.put({ connectionId: 'c=', userId: 'u', connectedAt: now, expiresAt: seconds + 7200 });
    expect(commands).toHaveLength(1);
    expect(commands[0]).toBeInstanceOf(PutCommand);
    expect((commands[0] as PutCommand).input).toEqual({
      TableName: 'test-connections',
      Item: { connectionId: 'c=', userId: 'u', connectedAt: now, expiresAt: seconds + 7200 },
    });
  });

  it('deletes by connectionId', async () => {
    const { store, commands } = stubbedStore(() => ({}));
    await store.delete('c=');
    expect(commands[0]).toBeInstanceOf(DeleteCommand);
    expect((commands[0] as DeleteCommand).input).toEqual({
      TableName: 'test-connections',
      Key: { connectionId: 'c=' },
    });
  });

  it('lists through the byUser GSI, page by page, never a scan, dropping expired and malformed items', async () => {
    const pages = [
      {
        Items: [
          { connectionId: 'a', userId: 'u', connectedAt: 1, expiresAt: seconds + 10 },
          { connectionId: 'stale', userId: 'u', connectedAt: 2, expiresAt: seconds },
        ],
        LastEvaluatedKey: { connectionId: 'stale', userId: 'u', connectedAt: 2 },
      },
      {
        Items: [
          { connectionId: 'b', userId: 'u', connectedAt: 3, expiresAt: seconds + 10 },
          { connectionId: 'x' },
        ],
      },
    ];
    const { store, commands } = stubbedStore(() => pages.shift());
    const listed = await store.listByUser('u', now);
    expect(listed.map((c) => c.connectionId)).toEqual(['a', 'b']);
    expect(commands).toHaveLength(2);
    for (const command of commands) expect(command).toBeInstanceOf(QueryCommand);
    const [first, second] = commands as QueryCommand[];
    expect(first?.input).toMatchObject({
      TableName: 'test-connections',
      IndexName: 'byUser',
      KeyConditionExpression: '#userId = :userId',
      ExpressionAttributeValues: { ':userId': 'u', ':nowSeconds': seconds },
    });
    expect(first?.input.ExclusiveStartKey).toBeUndefined();
    expect(second?.input.ExclusiveStartKey).toEqual({ connectionId: 'stale', userId: 'u', connectedAt: 2 });
  });

  it('marks throttling as retryable and keeps the connection id', async () => {
    const throttled = Object.assign(new Error('slow down'), {
      name: 'ProvisionedThroughputExceededException',
      $fault: 'client',
    });
    const { store } = stubbedStore(() => {
      throw throttled;
    });
    const error = await store
      .put({ connectionId: 'c=', userId: 'u', connectedAt: now, expiresAt: seconds + 7200 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionStoreError);
    expect(error).toMatchObject({ retryable: true, connectionId: 'c=', cause: throttled });
  });

  it('marks a validation error as not retryable', async () => {
    const invalid = Object.assign(new Error('bad key'), { name: 'ValidationException', $fault: 'client' });
    const { store } = stubbedStore(() => {
      throw invalid;
    });
    await expect(store.listByUser('u', now)).rejects.toMatchObject({
      name: 'ConnectionStoreError',
      retryable: false,
    });
  });
});
