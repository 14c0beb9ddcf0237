import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../template/mapping.ts';
import type { IamRequest } from './evaluate.ts';

/**
 * Which IAM actions a service call needs, on which resource ARNs: what AWS authorizes for each
 * API call of the services the functions reach (S3, DynamoDB, SQS, API Gateway's `@connections`,
 * Secrets Manager, SNS). Derived from the request alone (method, path, query, headers, the JSON
 * body where the resource is in it). A call this module does not know is returned as
 * `{ unknown }`: the caller refuses it for a function rather than guess.
 *
 * S3: https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html
 * DynamoDB: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/api-permissions-reference.html
 */

export type Derived = readonly IamRequest[] | { readonly unknown: string };

const arn = (service: string, resource: string) =>
  `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${resource}`;

// ---------------------------------------------------------------------------------------------
// S3 (path-style requests: `/<bucket>/<key>`)

/** One S3 call as the local server sees it. */
export interface S3Call {
  readonly method: string;
  /** The raw (still URL-encoded) request path. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Keys of a DeleteObjects (`POST /<bucket>?delete`) body, when the adapter read it. */
  readonly deleteKeys?: readonly string[];
}

/** Where a bucket's objects are encrypted with a KMS key (its `BucketEncryption` default). */
export type BucketKeys = (bucket: string) => string | undefined;

const header = (call: S3Call, name: string): string | undefined => {
  const v = call.headers[name];
  return typeof v === 'string' ? v : v?.[0];
};

/** `/b/k%2Fx` → bucket `b`, key `k/x` (path-style). */
function s3Target(path: string): { bucket?: string; key?: string } {
  const [, bucket, ...rest] = path.split('/');
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  if (!bucket) return {};
  const key = rest.join('/');
  return { bucket: decode(bucket), ...(key !== '' && { key: decode(key) }) };
}

const BUCKET_GET: Readonly<Record<string, string>> = {
  uploads: 's3:ListBucketMultipartUploads',
  versions: 's3:ListBucketVersions',
  location: 's3:GetBucketLocation',
  cors: 's3:GetBucketCORS',
  policy: 's3:GetBucketPolicy',
  acl: 's3:GetBucketAcl',
  website: 's3:GetBucketWebsite',
  tagging: 's3:GetBucketTagging',
  versioning: 's3:GetBucketVersioning',
  notification: 's3:GetBucketNotification',
  lifecycle: 's3:GetLifecycleConfiguration',
  encryption: 's3:GetEncryptionConfiguration',
  logging: 's3:GetBucketLogging',
  publicAccessBlock: 's3:GetBucketPublicAccessBlock',
};
const BUCKET_PUT: Readonly<Record<string, string>> = {
  cors: 's3:PutBucketCORS',
  policy: 's3:PutBucketPolicy',
  acl: 's3:PutBucketAcl',
  website: 's3:PutBucketWebsite',
  tagging: 's3:PutBucketTagging',
  versioning: 's3:PutBucketVersioning',
  notification: 's3:PutBucketNotification',
  lifecycle: 's3:PutLifecycleConfiguration',
  encryption: 's3:PutEncryptionConfiguration',
  logging: 's3:PutBucketLogging',
  publicAccessBlock: 's3:PutBucketPublicAccessBlock',
};
// Deleting a bucket's sub-resource is authorized by the action that puts it (S3's table).
const BUCKET_DELETE: Readonly<Record<string, string>> = {
  cors: 's3:PutBucketCORS',
  policy: 's3:DeleteBucketPolicy',
  website: 's3:DeleteBucketWebsite',
  tagging: 's3:PutBucketTagging',
  lifecycle: 's3:PutLifecycleConfiguration',
  encryption: 's3:PutEncryptionConfiguration',
  publicAccessBlock: 's3:PutBucketPublicAccessBlock',
};
const OBJECT_GET: Readonly<Record<string, string>> = {
  uploadId: 's3:ListMultipartUploadParts',
  acl: 's3:GetObjectAcl',
  tagging: 's3:GetObjectTagging',
  attributes: 's3:GetObjectAttributes',
  retention: 's3:GetObjectRetention',
  'legal-hold': 's3:GetObjectLegalHold',
  torrent: 's3:GetObjectTorrent',
};
const OBJECT_PUT: Readonly<Record<string, string>> = {
  tagging: 's3:PutObjectTagging',
  acl: 's3:PutObjectAcl',
  retention: 's3:PutObjectRetention',
  'legal-hold': 's3:PutObjectLegalHold',
};

const subresource = (query: URLSearchParams, table: Readonly<Record<string, string>>): string | undefined => {
  for (const name of Object.keys(table)) if (query.has(name)) return table[name];
  return undefined;
};

/** `x-amz-copy-source: /bucket/key?versionId=…` (URL-encoded) → the source object's ARN. */
function copySource(call: S3Call): IamRequest | undefined {
  const source = header(call, 'x-amz-copy-source');
  if (source === undefined) return undefined;
  const [path] = source.split('?');
  const { bucket, key } = s3Target(`/${(path ?? '').replace(/^\//, '')}`);
  return { action: 's3:GetObject', resource: `arn:aws:s3:::${bucket ?? ''}/${key ?? ''}` };
}

/** What S3 asks of KMS for an object call on an SSE-KMS bucket (see {@link s3Requests}). */
type KmsUse = 'decrypt' | 'generate';

/**
 * The IAM requests of one S3 call. On a bucket whose default encryption is SSE-KMS, the caller
 * also needs the key: `kms:GenerateDataKey` to write an object (PutObject, CopyObject's target,
 * CreateMultipartUpload), `kms:Decrypt` to read one (GetObject, a copy's source) and for the
 * parts of a multipart upload (UploadPart, CompleteMultipartUpload), as S3's user guide lists
 * them (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html, "Multipart
 * upload API and permissions"). HeadObject reads metadata only and needs no key.
 *
 * @example
 * s3Requests({ method: 'GET', path: '/uploads-bucket/uploads/a.csv', query: new URLSearchParams(), headers: {} }, () => undefined);
 * // [{ action: 's3:GetObject', resource: 'arn:aws:s3:::uploads-bucket/uploads/a.csv' }]
 */
export function s3Requests(call: S3Call, bucketKeys: BucketKeys): Derived {
  const method = call.method.toUpperCase();
  const { bucket, key } = s3Target(call.path);
  const q = call.query;
  if (bucket === undefined) {
    if (method === 'GET') return [{ action: 's3:ListAllMyBuckets', resource: '*' }];
    return { unknown: `${method} /` };
  }
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const requests: IamRequest[] = [];
  const kms: KmsUse[] = [];
  const add = (action: string, resource = bucketArn) => requests.push({ action, resource });

  if (key === undefined) {
    const bucketAction: string | undefined =
      method === 'GET'
        ? (subresource(q, BUCKET_GET) ?? 's3:ListBucket')
        : method === 'HEAD'
          ? 's3:ListBucket'
          : method === 'PUT'
            ? (subresource(q, BUCKET_PUT) ?? 's3:CreateBucket')
            : method === 'DELETE'
              ? (subresource(q, BUCKET_DELETE) ??
                ([...q.keys()].length === 0 ? 's3:DeleteBucket' : undefined))
              : undefined;
    if (bucketAction !== undefined) {
      add(bucketAction);
      return requests;
    }
    if (method === 'POST' && q.has('delete')) {
      // DeleteObjects is authorized as DeleteObject on each key it names.
      if (call.deleteKeys === undefined) return { unknown: 'DeleteObjects without its body' };
      for (const k of call.deleteKeys) add('s3:DeleteObject', `${bucketArn}/${k}`);
      return requests;
    }
    return { unknown: `${method} /${bucket}?${q.toString()}` };
  }

  const objectArn = `${bucketArn}/${key}`;
  const source = copySource(call);
  switch (method) {
    case 'GET': {
      const sub = subresource(q, OBJECT_GET);
      if (sub !== undefined) add(sub, objectArn);
      else {
        add(q.has('versionId') ? 's3:GetObjectVersion' : 's3:GetObject', objectArn);
        kms.push('decrypt');
      }
      break;
    }
    case 'HEAD':
      add(q.has('versionId') ? 's3:GetObjectVersion' : 's3:GetObject', objectArn);
      break;
    case 'PUT': {
      const sub = subresource(q, OBJECT_PUT);
      if (sub !== undefined) {
        add(sub, objectArn);
        break;
      }
      add('s3:PutObject', objectArn);
      if (q.has('uploadId')) kms.push('decrypt');
      else kms.push('generate');
      if (source) {
        requests.push(source);
        kms.push('decrypt');
      }
      // PutObject with tags or a canned ACL is also authorized as those actions.
      if (header(call, 'x-amz-tagging') !== undefined) add('s3:PutObjectTagging', objectArn);
      if (header(call, 'x-amz-acl') !== undefined) add('s3:PutObjectAcl', objectArn);
      break;
    }
    case 'POST':
      if (q.has('uploads')) {
        add('s3:PutObject', objectArn);
        kms.push('generate');
      } else if (q.has('uploadId')) {
        add('s3:PutObject', objectArn);
        kms.push('decrypt');
      } else if (q.has('restore')) add('s3:RestoreObject', objectArn);
      else if (q.has('select')) {
        add('s3:GetObject', objectArn);
        kms.push('decrypt');
      } else return { unknown: `POST /${bucket}/${key}` };
      break;
    case 'DELETE':
      if (q.has('uploadId')) add('s3:AbortMultipartUpload', objectArn);
      else if (q.has('tagging')) add('s3:DeleteObjectTagging', objectArn);
      else add(q.has('versionId') ? 's3:DeleteObjectVersion' : 's3:DeleteObject', objectArn);
      break;
    default:
      return { unknown: `${method} /${bucket}/${key}` };
  }

  // The key S3 uses: a request's own SSE-KMS key for a write, else the bucket's default
  // (an `AES256` write uses no KMS key at all).
  const sse = header(call, 'x-amz-server-side-encryption');
  const requestKey = header(call, 'x-amz-server-side-encryption-aws-kms-key-id');
  for (const use of new Set(kms)) {
    const keyArn =
      use === 'generate' && sse === 'AES256'
        ? undefined
        : use === 'generate' && requestKey !== undefined
          ? requestKey
          : bucketKeys(bucket);
    if (keyArn === undefined) continue;
    add(use === 'decrypt' ? 'kms:Decrypt' : 'kms:GenerateDataKey', keyArn);
  }
  return requests;
}

// ---------------------------------------------------------------------------------------------
// DynamoDB (`X-Amz-Target: DynamoDB_20120810.<Operation>`, JSON body)

const tableArn = (name: string, index?: string) =>
  arn('dynamodb', `table/${name}${index === undefined ? '' : `/index/${index}`}`);

const TRANSACT_ITEM: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

/**
 * The IAM requests of one DynamoDB call: `dynamodb:<Operation>` on the table's ARN, or on
 * `table/<name>/index/<index>` for a Query or Scan of an index; each table of a batch; each item
 * of a transaction as its own write or read action.
 *
 * @example
 * dynamoRequests('DynamoDB_20120810.Query', { TableName: 'conns', IndexName: 'byUser' });
 * // [{ action: 'dynamodb:Query', resource: 'arn:aws:dynamodb:us-east-1:000000000000:table/conns/index/byUser' }]
 */
export function dynamoRequests(target: string, body: unknown): Derived {
  const operation = /^DynamoDB_\d+\.(\w+)$/.exec(target)?.[1];
  if (operation === undefined) return { unknown: `X-Amz-Target ${target}` };
  const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const action = `dynamodb:${operation}`;
  switch (operation) {
    case 'ListTables':
    case 'DescribeLimits':
    case 'DescribeEndpoints':
      return [{ action, resource: '*' }];
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.keys((input.RequestItems ?? {}) as object).map((t) => ({
        action,
        resource: tableArn(t),
      }));
    case 'TransactWriteItems':
    case 'TransactGetItems': {
      const items = Array.isArray(input.TransactItems)
        ? (input.TransactItems as Record<string, unknown>[])
        : [];
      const requests: IamRequest[] = [];
      for (const item of items) {
        const [kind, spec] = Object.entries(item)[0] ?? [];
        const itemAction = kind === undefined ? undefined : TRANSACT_ITEM[kind];
        const table = (spec as { TableName?: unknown } | undefined)?.TableName;
        if (itemAction === undefined || typeof table !== 'string')
          return { unknown: `${operation} item ${String(kind)}` };
        requests.push({ action: itemAction, resource: tableArn(table) });
      }
      return requests;
    }
    case 'ListTagsOfResource':
    case 'TagResource':
    case 'UntagResource':
      return typeof input.ResourceArn === 'string'
        ? [{ action, resource: input.ResourceArn }]
        : { unknown: `${operation} without ResourceArn` };
    default: {
      if (typeof input.TableName !== 'string') return { unknown: `${operation} without TableName` };
      const index =
        (operation === 'Query' || operation === 'Scan') && typeof input.IndexName === 'string'
          ? input.IndexName
          : undefined;
      return [{ action, resource: tableArn(input.TableName, index) }];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// SQS (`X-Amz-Target: AmazonSQS.<Operation>`, JSON body)

/** `…/<account>/<name>` → the queue's ARN. */
export function queueArnOf(queueUrl: string): string {
  const [name = '', account = LOCAL_ACCOUNT_ID] = queueUrl.split('/').reverse();
  return `arn:aws:sqs:${LOCAL_REGION}:${account}:${name}`;
}

// Batch calls are authorized as their single-message action.
const SQS_ACTION: Readonly<Record<string, string>> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

/**
 * The IAM request of one SQS call: `sqs:<Operation>` on the queue's ARN (from `QueueUrl`).
 *
 * @example
 * sqsRequests('AmazonSQS.SendMessage', { QueueUrl: 'http://127.0.0.1:4000/000000000000/fetch' });
 * // [{ action: 'sqs:SendMessage', resource: 'arn:aws:sqs:us-east-1:000000000000:fetch' }]
 */
export function sqsRequests(target: string, body: unknown): Derived {
  const operation = /^AmazonSQS\.(\w+)$/.exec(target)?.[1];
  if (operation === undefined) return { unknown: `X-Amz-Target ${target}` };
  const action = `sqs:${SQS_ACTION[operation] ?? operation}`;
  const input = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (operation === 'ListQueues') return [{ action, resource: '*' }];
  if (operation === 'GetQueueUrl' && typeof input.QueueName === 'string')
    return [{ action, resource: arn('sqs', input.QueueName) }];
  if (typeof input.QueueUrl !== 'string') return { unknown: `${operation} without QueueUrl` };
  return [{ action, resource: queueArnOf(input.QueueUrl) }];
}

// ---------------------------------------------------------------------------------------------
// API Gateway Management API, SNS, Secrets Manager

/**
 * `execute-api:ManageConnections` on
 * `arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<METHOD>/@connections/<id>`, for
 * PostToConnection (POST), GetConnection (GET) and DeleteConnection (DELETE).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-control-access-iam.html
 *
 * @example
 * manageConnectionsRequest('abc123', 'v1', 'POST', 'L0SM9cOFvHcCIhw=').resource;
 * // 'arn:aws:execute-api:us-east-1:000000000000:abc123/v1/POST/@connections/L0SM9cOFvHcCIhw='
 */
export function manageConnectionsRequest(
  apiId: string,
  stage: string,
  method: string,
  connectionId: string,
): IamRequest {
  return {
    action: 'execute-api:ManageConnections',
    resource: arn('execute-api', `${apiId}/${stage}/${method.toUpperCase()}/@connections/${connectionId}`),
  };
}

/**
 * `sns:Publish` on the topic's ARN.
 *
 * @example
 * publishRequest('arn:aws:sns:us-east-1:000000000000:HeraldDev-NotifyTopic').action; // 'sns:Publish'
 */
export function publishRequest(topicArn: string): IamRequest {
  return { action: 'sns:Publish', resource: topicArn };
}

/**
 * `secretsmanager:GetSecretValue` on the secret's ARN (a name is authorized as the ARN it has).
 *
 * @example
 * getSecretValueRequest('arn:aws:secretsmanager:us-east-1:000000000000:secret:HeraldDev-Fcm').action;
 * // 'secretsmanager:GetSecretValue'
 */
export function getSecretValueRequest(secretArn: string): IamRequest {
  return { action: 'secretsmanager:GetSecretValue', resource: secretArn };
}

/** The ARN a secret name would have (for a secret that does not exist). */
export function secretArnOf(secretId: string): string {
  return secretId.startsWith('arn:') ? secretId : arn('secretsmanager', `secret:${secretId}`);
}
