import { randomUUID } from 'node:crypto';
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SinglePutUploadResponseSchema } from '@herald/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEV_USERS, type LocalStack, startLocalStack } from '../../src/index.ts';
import { stack as sharedStack } from '../support.ts';

// IAM is enforced from the template's policies: each test starts a stack of its own on a copy of
// the run's cloud assembly with ONE statement deleted from one function's role, drives the flow
// that needs it, and shows the refusal (the call AWS would refuse, in the service's own error
// shape). Each stack costs a few seconds; the three run one after the other.

interface CfnStatement {
  Action: string | string[];
  Resource: unknown;
}
type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

/**
 * A copy of `source` (a cloud assembly) whose template lacks the one statement of
 * `functionDescription`'s role that `matches`. Bundles are linked, not copied.
 */
function assemblyWithout(
  source: string,
  functionDescription: string,
  matches: (statement: CfnStatement) => boolean,
): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-iam-assembly-'));
  for (const entry of readdirSync(source)) {
    if (statSync(join(source, entry)).isDirectory()) symlinkSync(join(source, entry), join(dir, entry));
    else copyFileSync(join(source, entry), join(dir, entry));
  }
  const file = join(dir, 'HeraldDev.template.json');
  const template = JSON.parse(readFileSync(file, 'utf8')) as Template;
  const fn = Object.values(template.Resources).find(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Description === functionDescription,
  );
  const roleId = (fn?.Properties?.Role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
    'Fn::GetAtt'
  ]?.[0];
  const removed: CfnStatement[] = [];
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = (resource.Properties?.Roles ?? []) as { Ref?: string }[];
    if (!roles.some((r) => r.Ref === roleId)) continue;
    const document = resource.Properties?.PolicyDocument as { Statement: CfnStatement[] };
    const kept = document.Statement.filter((s) => !matches(s));
    removed.push(...document.Statement.filter((s) => matches(s)));
    document.Statement = kept;
  }
  if (removed.length !== 1)
    throw new Error(
      `expected one matching statement in ${functionDescription}'s role, found ${removed.length}`,
    );
  writeFileSync(file, JSON.stringify(template));
  return dir;
}

const actions = (s: CfnStatement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const grants =
  (action: string, resourceText = '') =>
  (s: CfnStatement) =>
    actions(s).includes(action) && JSON.stringify(s.Resource).includes(resourceText);

/** Starts a stack on an assembly; the caller stops it. */
async function startOn(assemblyDir: string): Promise<{ stack: LocalStack; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'herald-iam-stack-'));
  const stack = await startLocalStack({
    dataDir,
    fresh: true,
    assemblyDir,
    visibilityTimeoutMs: 5_000,
    logLevel: 'error',
  });
  return { stack, dataDir };
}

async function eventually<T>(find: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The function's own credentials (what its SDK clients sign with). */
function credentialsOf(stack: LocalStack, description: string) {
  const env = stack.functionEnvironment(description);
  return {
    accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    sessionToken: env.AWS_SESSION_TOKEN ?? '',
  };
}

const alice = DEV_USERS.find((u) => u.username === 'alice');

/**
 * Starts, for the enclosing suite, a stack on the shared template with `handler`'s role stripped
 * of `without`; hands it to `use`, and stops and removes it after the suite.
 */
function startWithout(
  handler: string,
  without: Parameters<typeof assemblyWithout>[2],
  use: (stack: LocalStack) => void,
): void {
  let stack: LocalStack | undefined;
  let dirs: string[] = [];
  beforeAll(async () => {
    const assembly = assemblyWithout(sharedStack().assemblyDir, handler, without);
    const started = await startOn(assembly);
    stack = started.stack;
    dirs = [assembly, started.dataDir];
    use(started.stack);
  });
  afterAll(async () => {
    await stack?.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
}

describe('IAM from the template: a role without its s3:GetObject on uploads/* (ingest/sqs-ingest)', () => {
  let stack: LocalStack;
  startWithout('ingest/sqs-ingest', grants('s3:GetObject', '/uploads/*'), (started) => {
    stack = started;
  });

  it('refuses the worker’s read of the upload, so the job never loads', async () => {
    const token = await stack.issueToken('alice');
    const csv = 'transaction_id,customer_external_id,amount,currency,occurred_at,note\r\n';
    const created = await fetch(`${stack.apiUrl}/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ dataset: 'transactions', fileName: 't.csv', sizeBytes: Buffer.byteLength(csv) }),
    });
    expect(created.status).toBe(201);
    const { jobId, upload } = SinglePutUploadResponseSchema.parse(await created.json());
    // The upload itself is allowed: http-create-upload's role may put under uploads/.
    expect((await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: csv })).status).toBe(200);

    const prefix = `arn:aws:s3:::${stack.s3.buckets.uploads}/uploads/`;
    const refusal = await eventually(
      () =>
        stack.iam
          .refused()
          .find(
            (r) =>
              r.function === 'ingest/sqs-ingest' &&
              r.action === 's3:GetObject' &&
              r.resource.startsWith(prefix),
          ),
      'the worker’s s3:GetObject refusal',
    );
    expect(refusal.reason).toBe('because no identity-based policy allows the s3:GetObject action');
    const job = await fetch(`${stack.apiUrl}/jobs/${jobId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await job.json()) as { state: string }).state).not.toBe('succeeded');
  });

  it('answers the worker’s own S3 client with S3’s 403 AccessDenied', async () => {
    const s3 = new S3Client({
      endpoint: stack.s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: credentialsOf(stack, 'ingest/sqs-ingest'),
    });
    const error = await s3
      .send(new GetObjectCommand({ Bucket: stack.s3.buckets.uploads, Key: `uploads/${randomUUID()}.csv` }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    s3.destroy();
  });
});

describe('IAM from the template: a role without execute-api:ManageConnections (realtime/sns-notify)', () => {
  let stack: LocalStack;
  startWithout('realtime/sns-notify', grants('execute-api:ManageConnections'), (started) => {
    stack = started;
  });

  it('refuses the publisher’s PostToConnection: the connected user never gets the event', async () => {
    const ws = new WebSocket(stack.wsUrl, ['herald.v1', await stack.issueToken('alice')]);
    const frames: unknown[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const event = {
      type: 'job.succeeded',
      seq: 1,
      at: new Date().toISOString(),
      jobId: randomUUID(),
      rowsLoaded: 1,
      rowsRejected: 0,
      durationMs: 1,
    };
    const res = await fetch(`${stack.localUrl}/_local/sns/NotifyTopic`, {
      method: 'POST',
      body: JSON.stringify({ userId: alice?.sub, event }),
    });
    expect(res.status).toBe(202);
    const refusal = await eventually(
      () =>
        stack.iam
          .refused()
          .find((r) => r.function === 'realtime/sns-notify' && r.action === 'execute-api:ManageConnections'),
      'the publisher’s ManageConnections refusal',
    );
    expect(refusal.resource).toMatch(
      /^arn:aws:execute-api:us-east-1:000000000000:[a-z0-9]+\/v1\/POST\/@connections\/.+/,
    );
    expect(frames.filter((f) => (f as { type?: string }).type === 'event')).toEqual([]);
    ws.terminate();
  });

  it('answers the publisher’s own client with API Gateway’s 403 ForbiddenException', async () => {
    const client = new ApiGatewayManagementApiClient({
      endpoint: stack.managementEndpoint,
      region: 'us-east-1',
      credentials: credentialsOf(stack, 'realtime/sns-notify'),
      maxAttempts: 1,
    });
    const error = await client
      .send(
        new PostToConnectionCommand({
          ConnectionId: 'AAAAAAAAAAAAAAA=',
          Data: new TextEncoder().encode('x'),
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ForbiddenException', $metadata: { httpStatusCode: 403 } });
    client.destroy();
  });

  it('authorizes a signed publish to the SNS stand-in as sns:Publish (no function may publish)', async () => {
    const { accessKeyId } = credentialsOf(stack, 'realtime/sns-notify');
    const res = await fetch(`${stack.localUrl}/_local/sns/NotifyTopic`, {
      method: 'POST',
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({
      __type: 'AuthorizationError',
      message: expect.stringContaining('is not authorized to perform: sns:Publish on resource: arn:aws:sns:'),
    });
  });
});

describe('IAM from the template: a role without dynamodb:PutItem (realtime/ws-connect)', () => {
  let stack: LocalStack;
  startWithout('realtime/ws-connect', grants('dynamodb:PutItem'), (started) => {
    stack = started;
  });

  it('refuses the connect handler’s write to the connections table: the handshake fails', async () => {
    const ws = new WebSocket(stack.wsUrl, ['herald.v1', await stack.issueToken('alice')]);
    const status = await new Promise<number | 'open'>((resolve, reject) => {
      ws.once('open', () => resolve('open'));
      ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.once('error', reject);
    });
    ws.terminate();
    expect(status).not.toBe('open');
    expect(stack.iam.refused()).toContainEqual(
      expect.objectContaining({
        function: 'realtime/ws-connect',
        action: 'dynamodb:PutItem',
        resource: `arn:aws:dynamodb:us-east-1:000000000000:table/${stack.dynamodb.tables.Connections}`,
      }),
    );
  });

  it('answers the handler’s own client with DynamoDB’s 400 AccessDeniedException', async () => {
    const dynamo = new DynamoDBClient({
      endpoint: stack.dynamodb.endpoint,
      region: 'us-east-1',
      credentials: credentialsOf(stack, 'realtime/ws-connect'),
      maxAttempts: 1,
    });
    const error = await dynamo
      .send(
        new PutItemCommand({
          TableName: stack.dynamodb.tables.Connections,
          Item: { connectionId: { S: 'x' } },
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    dynamo.destroy();
  });
});
