import { describe, expect, it } from 'vitest';
import {
  dynamoRequests,
  getSecretValueRequest,
  manageConnectionsRequest,
  type S3Call,
  s3Requests,
  secretArnOf,
  sqsRequests,
} from '../../src/iam/actions.ts';
import { signedCaller } from '../../src/iam/caller.ts';

const KEY = 'arn:aws:kms:us-east-1:000000000000:key/BucketsKey';
const keys = (bucket: string) => (bucket === 'uploads' ? KEY : undefined);
const call = (method: string, pathAndQuery: string, headers: S3Call['headers'] = {}): S3Call => {
  const [path = '/', query = ''] = pathAndQuery.split('?');
  return { method, path, query: new URLSearchParams(query), headers };
};

describe('signedCaller', () => {
  it('reads the access key of a SigV4 Authorization header’s credential scope', () => {
    const authorization =
      'AWS4-HMAC-SHA256 Credential=ASIAWORKER/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=00';
    expect(signedCaller({ authorization }, new URLSearchParams())).toEqual({
      accessKeyId: 'ASIAWORKER',
      region: 'us-east-1',
      service: 'dynamodb',
      via: 'header',
    });
  });

  it('reads the signer of a presigned URL from X-Amz-Credential', () => {
    const query = new URLSearchParams(
      'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAUPLOAD%2F20260101%2Fus-east-1%2Fs3%2Faws4_request',
    );
    expect(signedCaller({}, query)).toMatchObject({ accessKeyId: 'ASIAUPLOAD', service: 's3', via: 'query' });
  });

  it('reads SigV2 keys and returns undefined for an unsigned request', () => {
    expect(signedCaller({ authorization: 'AWS S3RVER:abc=' }, new URLSearchParams())?.accessKeyId).toBe(
      'S3RVER',
    );
    expect(signedCaller({}, new URLSearchParams('AWSAccessKeyId=K&Signature=s'))?.accessKeyId).toBe('K');
    expect(signedCaller({ host: 'x' }, new URLSearchParams())).toBeUndefined();
  });
});

describe('s3Requests', () => {
  it('authorizes object reads as s3:GetObject on the object, plus kms:Decrypt on an SSE-KMS bucket', () => {
    expect(s3Requests(call('GET', '/uploads/uploads/u%201/a.csv'), keys)).toEqual([
      { action: 's3:GetObject', resource: 'arn:aws:s3:::uploads/uploads/u 1/a.csv' },
      { action: 'kms:Decrypt', resource: KEY },
    ]);
    // HeadObject reads metadata only.
    expect(s3Requests(call('HEAD', '/uploads/uploads/a.csv'), keys)).toEqual([
      { action: 's3:GetObject', resource: 'arn:aws:s3:::uploads/uploads/a.csv' },
    ]);
    expect(s3Requests(call('GET', '/files/files/a?versionId=1'), keys)).toEqual([
      { action: 's3:GetObjectVersion', resource: 'arn:aws:s3:::files/files/a' },
    ]);
  });

  it('authorizes writes as s3:PutObject (with GenerateDataKey), tags and ACLs as their own actions', () => {
    expect(s3Requests(call('PUT', '/uploads/reports/r.json', { 'x-amz-tagging': 'a=b' }), keys)).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::uploads/reports/r.json' },
      { action: 's3:PutObjectTagging', resource: 'arn:aws:s3:::uploads/reports/r.json' },
      { action: 'kms:GenerateDataKey', resource: KEY },
    ]);
    // An AES256 write uses no KMS key.
    expect(
      s3Requests(call('PUT', '/uploads/reports/r.json', { 'x-amz-server-side-encryption': 'AES256' }), keys),
    ).toEqual([{ action: 's3:PutObject', resource: 'arn:aws:s3:::uploads/reports/r.json' }]);
    expect(s3Requests(call('PUT', '/files/files/a?tagging'), keys)).toEqual([
      { action: 's3:PutObjectTagging', resource: 'arn:aws:s3:::files/files/a' },
    ]);
  });

  it('authorizes a copy as PutObject on the target and GetObject on the source', () => {
    expect(
      s3Requests(call('PUT', '/files/files/b', { 'x-amz-copy-source': '/uploads/uploads/a%2Bb' }), keys),
    ).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::files/files/b' },
      { action: 's3:GetObject', resource: 'arn:aws:s3:::uploads/uploads/a+b' },
    ]);
  });

  it('authorizes each step of a multipart upload', () => {
    expect(s3Requests(call('POST', '/uploads/uploads/a?uploads'), keys)).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::uploads/uploads/a' },
      { action: 'kms:GenerateDataKey', resource: KEY },
    ]);
    expect(s3Requests(call('PUT', '/uploads/uploads/a?partNumber=1&uploadId=u'), keys)).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::uploads/uploads/a' },
      { action: 'kms:Decrypt', resource: KEY },
    ]);
    expect(s3Requests(call('POST', '/uploads/uploads/a?uploadId=u'), keys)).toEqual([
      { action: 's3:PutObject', resource: 'arn:aws:s3:::uploads/uploads/a' },
      { action: 'kms:Decrypt', resource: KEY },
    ]);
    expect(s3Requests(call('DELETE', '/uploads/uploads/a?uploadId=u'), keys)).toEqual([
      { action: 's3:AbortMultipartUpload', resource: 'arn:aws:s3:::uploads/uploads/a' },
    ]);
    expect(s3Requests(call('GET', '/uploads/uploads/a?uploadId=u'), keys)).toEqual([
      { action: 's3:ListMultipartUploadParts', resource: 'arn:aws:s3:::uploads/uploads/a' },
    ]);
  });

  it('authorizes deletes, bucket-level calls and ListBuckets', () => {
    expect(s3Requests(call('DELETE', '/files/files/a'), keys)).toEqual([
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::files/files/a' },
    ]);
    expect(s3Requests(call('GET', '/files?list-type=2&prefix=files/'), keys)).toEqual([
      { action: 's3:ListBucket', resource: 'arn:aws:s3:::files' },
    ]);
    expect(s3Requests(call('HEAD', '/files'), keys)).toEqual([
      { action: 's3:ListBucket', resource: 'arn:aws:s3:::files' },
    ]);
    expect(s3Requests(call('GET', '/files?cors'), keys)).toEqual([
      { action: 's3:GetBucketCORS', resource: 'arn:aws:s3:::files' },
    ]);
    expect(s3Requests(call('DELETE', '/files?cors'), keys)).toEqual([
      { action: 's3:PutBucketCORS', resource: 'arn:aws:s3:::files' },
    ]);
    expect(s3Requests(call('PUT', '/files'), keys)).toEqual([
      { action: 's3:CreateBucket', resource: 'arn:aws:s3:::files' },
    ]);
    expect(s3Requests(call('GET', '/'), keys)).toEqual([{ action: 's3:ListAllMyBuckets', resource: '*' }]);
    expect(
      s3Requests({ ...call('POST', '/files?delete'), deleteKeys: ['files/a', 'files/b'] }, keys),
    ).toEqual([
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::files/files/a' },
      { action: 's3:DeleteObject', resource: 'arn:aws:s3:::files/files/b' },
    ]);
  });

  it('says when it does not know a call instead of guessing', () => {
    expect(s3Requests(call('POST', '/files?delete'), keys)).toEqual({
      unknown: 'DeleteObjects without its body',
    });
    expect(s3Requests(call('POST', '/files/files/a'), keys)).toEqual({ unknown: 'POST /files/files/a' });
    expect(s3Requests(call('PATCH', '/files/files/a'), keys)).toMatchObject({ unknown: expect.any(String) });
  });
});

describe('dynamoRequests', () => {
  const table = (name: string) => `arn:aws:dynamodb:us-east-1:000000000000:table/${name}`;

  it('authorizes an item call on the table and a Query of an index on the index', () => {
    expect(dynamoRequests('DynamoDB_20120810.PutItem', { TableName: 'conns', Item: {} })).toEqual([
      { action: 'dynamodb:PutItem', resource: table('conns') },
    ]);
    expect(dynamoRequests('DynamoDB_20120810.Query', { TableName: 'conns', IndexName: 'byUser' })).toEqual([
      { action: 'dynamodb:Query', resource: `${table('conns')}/index/byUser` },
    ]);
    // IndexName only names the resource of a read of the index.
    expect(dynamoRequests('DynamoDB_20120810.GetItem', { TableName: 'conns', IndexName: 'byUser' })).toEqual([
      { action: 'dynamodb:GetItem', resource: table('conns') },
    ]);
  });

  it('authorizes batches per table and transactions per item', () => {
    expect(dynamoRequests('DynamoDB_20120810.BatchWriteItem', { RequestItems: { a: [], b: [] } })).toEqual([
      { action: 'dynamodb:BatchWriteItem', resource: table('a') },
      { action: 'dynamodb:BatchWriteItem', resource: table('b') },
    ]);
    expect(
      dynamoRequests('DynamoDB_20120810.TransactWriteItems', {
        TransactItems: [{ Put: { TableName: 'a' } }, { ConditionCheck: { TableName: 'b' } }],
      }),
    ).toEqual([
      { action: 'dynamodb:PutItem', resource: table('a') },
      { action: 'dynamodb:ConditionCheckItem', resource: table('b') },
    ]);
    expect(dynamoRequests('DynamoDB_20120810.ListTables', {})).toEqual([
      { action: 'dynamodb:ListTables', resource: '*' },
    ]);
  });

  it('says when it does not know a call', () => {
    expect(dynamoRequests('DynamoDB_20120810.PutItem', {})).toEqual({ unknown: 'PutItem without TableName' });
    expect(dynamoRequests('Other.PutItem', {})).toEqual({ unknown: 'X-Amz-Target Other.PutItem' });
  });
});

describe('SQS, @connections and Secrets Manager requests', () => {
  it('authorizes SendMessage (and its batch) on the queue ARN from the queue URL', () => {
    const QueueUrl = 'http://127.0.0.1:4000/000000000000/HeraldDev-FileFetchQueue-Queue';
    const queue = 'arn:aws:sqs:us-east-1:000000000000:HeraldDev-FileFetchQueue-Queue';
    expect(sqsRequests('AmazonSQS.SendMessage', { QueueUrl })).toEqual([
      { action: 'sqs:SendMessage', resource: queue },
    ]);
    expect(sqsRequests('AmazonSQS.SendMessageBatch', { QueueUrl })).toEqual([
      { action: 'sqs:SendMessage', resource: queue },
    ]);
    expect(sqsRequests('AmazonSQS.SendMessage', {})).toEqual({ unknown: 'SendMessage without QueueUrl' });
  });

  it('authorizes @connections calls as ManageConnections on the method and connection', () => {
    expect(manageConnectionsRequest('websocketapi273f6915', 'v1', 'delete', 'L0SM9cOF/vHcCIhw=')).toEqual({
      action: 'execute-api:ManageConnections',
      resource:
        'arn:aws:execute-api:us-east-1:000000000000:websocketapi273f6915/v1/DELETE/@connections/L0SM9cOF/vHcCIhw=',
    });
  });

  it('authorizes GetSecretValue on the secret ARN, naming a missing secret by the ARN it would have', () => {
    expect(getSecretValueRequest(secretArnOf('HeraldDev-Fcm'))).toEqual({
      action: 'secretsmanager:GetSecretValue',
      resource: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:HeraldDev-Fcm',
    });
    expect(secretArnOf('arn:aws:secretsmanager:us-east-1:000000000000:secret:x')).toBe(
      'arn:aws:secretsmanager:us-east-1:000000000000:secret:x',
    );
  });
});
