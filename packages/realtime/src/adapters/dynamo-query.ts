/**
 * What the DynamoDB adapters share: reading every page of a Query, and turning an SDK error
 * into a {@link StoreError} that names the operation and the AWS error (never a key or value).
 */
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { StoreError, type StoreName } from '../errors.ts';
import { awsErrorName, isRetryableAwsError } from './aws-errors.ts';

/**
 * Runs a Query page after page and keeps what `keep` returns for each item (`undefined`: skip).
 * Stops after the last page, or once `limit` items are kept. `input` is asked once per page with
 * the count kept so far (e.g. to shrink `Limit`). A plain loop rather than paginateQuery: the
 * paginator insists on `instanceof` its own copy of DynamoDBDocumentClient, which a second copy
 * of the SDK in the graph would fail.
 *
 * @example
 * const devices = await queryAll(client, () => ({ TableName, KeyConditionExpression, … }), toDevice);
 */
export async function queryAll<T>(
  client: DynamoDBDocumentClient,
  input: (kept: number) => Omit<QueryCommandInput, 'ExclusiveStartKey'>,
  keep: (item: Record<string, unknown>) => T | undefined,
  limit = Number.POSITIVE_INFINITY,
): Promise<T[]> {
  const kept: T[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input(kept.length), ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) {
      const value = keep(item);
      if (value !== undefined) kept.push(value);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined && kept.length < limit);
  return kept;
}

/**
 * A failed operation on a realtime table as a {@link StoreError}: `<label> <operation> failed
 * (<AWS error name>)`, `retryable` for throttling, server errors and dropped sockets.
 *
 * @example
 * throw dynamoStoreError('devices', 'devices', 'remove', error);
 */
export function dynamoStoreError(
  store: StoreName,
  label: string,
  operation: string,
  error: unknown,
): StoreError {
  return new StoreError(store, `${label} ${operation} failed (${awsErrorName(error)})`, {
    cause: error,
    retryable: isRetryableAwsError(error),
  });
}
