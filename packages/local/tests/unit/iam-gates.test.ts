import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoClient, type LocalDynamo, startDynamo } from '../../src/dynamodb.ts';
import { createLocalGateway, type LocalGateway } from '../../src/gateway/index.ts';
import { LocalIam } from '../../src/iam/authority.ts';
import { parsePolicyDocument } from '../../src/iam/policy.ts';
import type { FunctionRole } from '../../src/iam/template-policies.ts';
import { LocalQueue } from '../../src/queue.ts';
import { type LocalS3, startS3 } from '../../src/s3.ts';
import { LocalSecrets } from '../../src/secrets.ts';
import { handleSqsRequest } from '../../src/sqs-endpoint.ts';

// One function whose role grants a little of each service; every server asks the same LocalIam.
const ACCOUNT = '000000000000';
const FN = { accessKeyId: 'ASIAWORKER', secretAccessKey: 'secret', sessionToken: 'session-token' };
const OWNER = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const SECRET = (name: string) => `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:${name}`;
const role: FunctionRole = {
  functionId: 'Worker',
  description: 'ingest/sqs-ingest',
  roleId: 'WorkerRole',
  roleArn: `arn:aws:iam::${ACCOUNT}:role/WorkerRole`,
  principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/WorkerRole/HeraldDev-Worker`,
  notEvaluated: [],
  statements: parsePolicyDocument(
    {
      Statement: [
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject'],
          Resource: 'arn:aws:s3:::bucket/allowed/*',
        },
        {
          Effect: 'Allow',
          Action: 'dynamodb:PutItem',
          Resource: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/allowed`,
        },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:Allowed` },
        {
          Effect: 'Allow',
          Action: 'execute-api:ManageConnections',
          Resource: `arn:aws:execute-api:us-east-1:${ACCOUNT}:api1/v1/POST/@connections/*`,
        },
        { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: SECRET('allowed') },
      ],
    },
    'WorkerPolicy',
  ),
};
// A second function that may also list the bucket: S3 tells it a key is missing (404).
const LISTER = { accessKeyId: 'ASIALISTER', secretAccessKey: 'secret', sessionToken: 'lister-token' };
const lister: FunctionRole = {
  ...role,
  functionId: 'Lister',
  description: 'files/http-create-file-link',
  statements: parsePolicyDocument(
    {
      Statement: [
        { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/allowed/*' },
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::bucket' },
      ],
    },
    'ListerPolicy',
  ),
};
const iam = new LocalIam();
iam.enforce(
  new Map([
    ['Worker', role],
    ['Lister', lister],
  ]),
);
iam.registerCredentials('Worker', FN);
iam.registerCredentials('Lister', LISTER);

const clientConfig = (endpoint: string, credentials = FN) => ({ endpoint, region: 'us-east-1', credentials });

describe('S3 under IAM (s3rver)', () => {
  let dir: string;
  let s3: LocalS3;
  const client = (credentials: typeof FN | typeof OWNER) =>
    new S3Client({
      ...clientConfig(s3.endpoint, credentials as typeof FN),
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-iam-s3-'));
    s3 = await startS3({
      dataDir: dir,
      buckets: [{ name: 'bucket' }],
      iam: { check: iam, bucketKeys: () => undefined },
    });
    s3.registerAccessKey(FN.accessKeyId, FN.secretAccessKey);
    s3.registerAccessKey(LISTER.accessKeyId, LISTER.secretAccessKey);
    const owner = client(OWNER);
    for (const Key of ['allowed/a.txt', 'denied/b.txt'])
      await owner.send(new PutObjectCommand({ Bucket: 'bucket', Key, Body: 'x' }));
  });
  afterAll(async () => {
    await s3?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves what the role allows and refuses the rest with S3’s 403 AccessDenied', async () => {
    const fn = client(FN);
    const got = await fn.send(new GetObjectCommand({ Bucket: 'bucket', Key: 'allowed/a.txt' }));
    expect(await got.Body?.transformToString()).toBe('x');
    const refused = await fn
      .send(new GetObjectCommand({ Bucket: 'bucket', Key: 'denied/b.txt' }))
      .catch((e) => e);
    expect(refused).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(refused.message).toContain(
      'is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::bucket/denied/b.txt',
    );
  });

  it('authorizes a presigned URL as its signer, whoever sends it', async () => {
    const signedByFunction = (Key: string) =>
      getSignedUrl(client(FN), new GetObjectCommand({ Bucket: 'bucket', Key }), { expiresIn: 60 });
    expect((await fetch(await signedByFunction('allowed/a.txt'))).status).toBe(200);
    const refused = await fetch(await signedByFunction('denied/b.txt'));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('answers a missing key 404 only to a caller that may list the bucket, 403 AccessDenied otherwise', async () => {
    const missing = { Bucket: 'bucket', Key: 'allowed/missing.txt' };
    const withoutList = await client(FN)
      .send(new GetObjectCommand(missing))
      .catch((e) => e);
    expect(withoutList).toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(withoutList.message).toContain('s3:ListBucket on resource: arn:aws:s3:::bucket');
    const headWithoutList = await client(FN)
      .send(new HeadObjectCommand(missing))
      .catch((e) => e);
    expect(headWithoutList).toMatchObject({ $metadata: { httpStatusCode: 403 } });

    const withList = client(LISTER);
    expect(await withList.send(new GetObjectCommand(missing)).catch((e) => e)).toMatchObject({
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
    expect(await withList.send(new HeadObjectCommand(missing)).catch((e) => e)).toMatchObject({
      name: 'NotFound',
      $metadata: { httpStatusCode: 404 },
    });
    expect(iam.refused()).toContainEqual(
      expect.objectContaining({ function: 'ingest/sqs-ingest', action: 's3:ListBucket', calls: 2 }),
    );
    expect(iam.refused()).not.toContainEqual(
      expect.objectContaining({ function: 'files/http-create-file-link' }),
    );
  });

  it('refuses unsigned requests (no bucket grants anonymous access)', async () => {
    const res = await fetch(`${s3.endpoint}/bucket/allowed/a.txt`);
    expect(res.status).toBe(403);
  });
});

describe('DynamoDB under IAM (dynalite)', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startDynamo({ iam });
    const owner = dynamoClient(dynamo.endpoint);
    for (const TableName of ['allowed', 'other'])
      await owner.send(
        new CreateTableCommand({
          TableName,
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
  });
  afterAll(() => dynamo.stop());

  it('serves what the role allows and refuses the rest with DynamoDB’s 400 AccessDeniedException', async () => {
    const fn = new DynamoDBClient({ ...clientConfig(dynamo.endpoint), maxAttempts: 1 });
    await fn.send(new PutItemCommand({ TableName: 'allowed', Item: { pk: { S: 'a' } } }));
    const refused = await fn
      .send(new PutItemCommand({ TableName: 'other', Item: { pk: { S: 'a' } } }))
      .catch((e) => e);
    expect(refused).toMatchObject({ name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } });
    expect(refused.message).toMatch(
      /assumed-role\/WorkerRole\/HeraldDev-Worker is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/other because no identity-based policy allows/,
    );
  });
});

describe('the SQS endpoint under IAM', () => {
  const sent: string[] = [];
  const queues = new Map(
    ['Allowed', 'Other'].map((name) => [
      name,
      new LocalQueue({
        name,
        handler: async (event) => {
          for (const r of event.Records) sent.push(r.body);
        },
      }),
    ]),
  );
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => void handleSqsRequest(queues, req, res, iam));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const queue of queues.values()) await queue.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends where the role allows and answers SQS’s AccessDeniedException elsewhere', async () => {
    const fn = new SQSClient({ ...clientConfig(base), maxAttempts: 1 });
    await fn.send(new SendMessageCommand({ QueueUrl: `${base}/${ACCOUNT}/Allowed`, MessageBody: 'ok' }));
    const refused = await fn
      .send(new SendMessageCommand({ QueueUrl: `${base}/${ACCOUNT}/Other`, MessageBody: 'no' }))
      .catch((e) => e);
    expect(refused.$metadata?.httpStatusCode).toBe(400);
    // The JSON error's `x-amzn-query-error` code, as SQS's SDK reports it.
    expect(refused.name).toBe('AccessDenied');
    expect(refused.message).toContain(
      'sqs:SendMessage on resource: arn:aws:sqs:us-east-1:000000000000:Other',
    );
  });
});

describe('@connections under IAM', () => {
  let gw: LocalGateway;
  beforeAll(async () => {
    gw = await createLocalGateway({
      routes: { http: [], ws: { authorizer: '', routes: [] } },
      invoke: async () => ({ statusCode: 200 }),
      verifyToken: async () => undefined,
      webSocketApiId: 'api1',
      webSocketStage: 'v1',
      iam,
    });
  });
  afterAll(() => gw.close());

  it('lets the role POST and refuses DELETE with 403 ForbiddenException', async () => {
    const fn = new ApiGatewayManagementApiClient({ ...clientConfig(gw.managementEndpoint), maxAttempts: 1 });
    // Allowed: the connection does not exist, so API Gateway answers 410.
    const gone = await fn
      .send(new PostToConnectionCommand({ ConnectionId: 'c1=', Data: new TextEncoder().encode('x') }))
      .catch((e) => e);
    expect(gone).toMatchObject({ name: 'GoneException' });
    const refused = await fn.send(new DeleteConnectionCommand({ ConnectionId: 'c1=' })).catch((e) => e);
    expect(refused).toMatchObject({ name: 'ForbiddenException', $metadata: { httpStatusCode: 403 } });
    expect(refused.message).toContain(
      'execute-api:ManageConnections on resource: arn:aws:execute-api:us-east-1:000000000000:api1/v1/DELETE/@connections/c1=',
    );
  });
});

describe('Secrets Manager under IAM', () => {
  const secrets = new LocalSecrets({ iam });
  let server: Awaited<ReturnType<LocalSecrets['listen']>>;
  beforeAll(async () => {
    secrets.create(SECRET('allowed'), 'allowed', 'a');
    secrets.create(SECRET('other'), 'other', 'b');
    secrets.registerCaller(FN.sessionToken, {
      functionName: 'HeraldDev-Worker',
      ttlSeconds: 300,
      cacheEnabled: true,
    });
    server = await secrets.listen();
  });
  afterAll(() => server.close());

  const extension = (secretId: string) =>
    fetch(`${server.url}/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`, {
      headers: { 'x-aws-parameters-secrets-token': FN.sessionToken },
    });

  it('authorizes the extension API as the function whose session token it carries', async () => {
    expect((await extension(SECRET('allowed'))).status).toBe(200);
    const refused = await extension('other');
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      __type: 'AccessDeniedException',
      Message: expect.stringContaining(`secretsmanager:GetSecretValue on resource: ${SECRET('other')}`),
    });
  });

  it('authorizes GetSecretValue as its signer', async () => {
    const call = (SecretId: string, accessKeyId: string) =>
      fetch(server.url, {
        method: 'POST',
        headers: {
          'x-amz-target': 'secretsmanager.GetSecretValue',
          authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0`,
        },
        body: JSON.stringify({ SecretId }),
      });
    expect((await call('allowed', FN.accessKeyId)).status).toBe(200);
    expect((await call('other', FN.accessKeyId)).status).toBe(400);
    expect((await call('other', 'local')).status).toBe(200);
  });
});
