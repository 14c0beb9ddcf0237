// Raw calls to the local stack's DynamoDB (dynalite) and `@connections` API, from the test
// process. The workspace root has no DynamoDB SDK, and the test wants to look at the tables and
// the gateway from OUTSIDE the product code anyway. Neither server verifies SigV4 signatures;
// both want a well-formed `Authorization` header, which a dummy one is.

const DUMMY_AUTH =
  'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, ' +
  'SignedHeaders=host;x-amz-date, Signature=0000';

function amzDate(): string {
  return new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * `fetch`, tried again on a network error. Under load the test process's event loop can stall
 * past the moment undici believes a pooled keep-alive socket is still usable, and the request
 * then meets the server's close (`ECONNRESET`) before the server read it. The test's OWN calls
 * retry that; the SDK's calls are left alone (they are what is being tested).
 */
export async function fetchRetrying(url: string, init: RequestInit = {}, attempts = 4): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (error) {
      if (!(error instanceof TypeError) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** A DynamoDB item in the wire format (`{name: {S: '…'}}`), reduced to what the test reads. */
export type RawItem = Record<string, { S?: string; N?: string; SS?: string[] }>;

/** Every item of a table (a full Scan, paged): a test looks at ALL of it, not through an index. */
export async function scanTable(endpoint: string, tableName: string): Promise<RawItem[]> {
  const items: RawItem[] = [];
  let startKey: unknown;
  do {
    const res = await fetchRetrying(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.Scan',
        'x-amz-date': amzDate(),
        authorization: DUMMY_AUTH,
      },
      body: JSON.stringify({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
    });
    const body = (await res.json()) as { Items?: RawItem[]; LastEvaluatedKey?: unknown; message?: string };
    if (!res.ok) throw new Error(`Scan ${tableName} failed: ${res.status} ${JSON.stringify(body)}`);
    items.push(...(body.Items ?? []));
    startKey = body.LastEvaluatedKey;
  } while (startKey !== undefined);
  return items;
}

/**
 * `DELETE` or `GET /@connections/{id}` on the local gateway: the status (204 / 200 when the
 * connection was open, 410 when it is gone).
 */
export async function connectionsApi(
  managementEndpoint: string,
  method: 'DELETE' | 'GET',
  connectionId: string,
): Promise<number> {
  const res = await fetchRetrying(`${managementEndpoint}/@connections/${encodeURIComponent(connectionId)}`, {
    method,
    headers: { authorization: DUMMY_AUTH.replace('dynamodb', 'execute-api'), 'x-amz-date': amzDate() },
  });
  await res.arrayBuffer();
  return res.status;
}
