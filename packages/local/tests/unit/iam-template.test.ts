import { describe, expect, it } from 'vitest';
import { IamDeployError, LocalIam } from '../../src/iam/authority.ts';
import { bucketKmsKeys, functionRoles, lambdaServiceUses } from '../../src/iam/template-policies.ts';
import { usageReport } from '../../src/iam/usage.ts';
import type { LocalEnvironment } from '../../src/template/mapping.ts';
import { type CfnTemplate, modelOf } from '../../src/template/model.ts';

// A worker and its role in the shape the CDK app synthesizes: an `AWS::IAM::Policy` attached to
// the role (CDK's DefaultPolicy), an inline policy, an SQS event source, a log group, X-Ray.
const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
const template: CfnTemplate = {
  Resources: {
    Key1: { Type: 'AWS::KMS::Key', Properties: {} },
    Uploads2: {
      Type: 'AWS::S3::Bucket',
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: getAtt('Key1') } },
          ],
        },
      },
      Metadata: { 'aws:cdk:path': 'HeraldDev/Buckets/Uploads/Resource' },
    },
    Queue3: {
      Type: 'AWS::SQS::Queue',
      Properties: {},
      Metadata: { 'aws:cdk:path': 'HeraldDev/Ingest/Queue/Resource' },
    },
    Table4: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'heralddev-connections' } },
    Logs5: {
      Type: 'AWS::Logs::LogGroup',
      Properties: {},
      Metadata: { 'aws:cdk:path': 'HeraldDev/Worker/Logs/Resource' },
    },
    Role6: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {},
        Policies: [
          {
            PolicyName: 'inline',
            PolicyDocument: {
              Statement: [{ Effect: 'Allow', Action: 'dynamodb:Query', Resource: getAtt('Table4') }],
            },
          },
        ],
      },
    },
    Policy7: {
      Type: 'AWS::IAM::Policy',
      Properties: {
        Roles: [{ Ref: 'Role6' }],
        PolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Resource: getAtt('Logs5'),
            },
            {
              Effect: 'Allow',
              Action: 's3:GetObject',
              Resource: { 'Fn::Join': ['', [getAtt('Uploads2'), '/uploads/*']] },
            },
            { Effect: 'Allow', Action: 'kms:Decrypt', Resource: getAtt('Key1') },
            {
              Effect: 'Allow',
              Action: [
                'sqs:ReceiveMessage',
                'sqs:DeleteMessage',
                'sqs:GetQueueAttributes',
                'sqs:GetQueueUrl',
              ],
              Resource: getAtt('Queue3'),
            },
            { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: getAtt('Nowhere9') },
            { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
          ],
        },
      },
    },
    Worker8: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Code: { S3Key: 'abc.zip' },
        Description: 'ingest/sqs-ingest',
        Role: getAtt('Role6'),
        LoggingConfig: { LogGroup: { Ref: 'Logs5' } },
        TracingConfig: { Mode: 'Active' },
      },
    },
    Mapping10: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { EventSourceArn: getAtt('Queue3'), FunctionName: { Ref: 'Worker8' } },
    },
  },
};
const local: LocalEnvironment = {
  stackName: 'HeraldDev',
  sqsEndpoint: 'http://127.0.0.1:9000',
  database: { host: '127.0.0.1', port: 5432 },
  userPoolId: 'pool',
  userPoolClientId: 'client',
  aliases: [],
  files: {},
};
const model = modelOf(template, 'HeraldDev', () => '/bundle');
const OBJECT = 'arn:aws:s3:::heralddev-buckets-uploads/uploads/u1/a.csv';
const KEY = 'arn:aws:kms:us-east-1:000000000000:key/Key1';
const TABLE = 'arn:aws:dynamodb:us-east-1:000000000000:table/heralddev-connections';

describe('functionRoles', () => {
  const role = functionRoles(model, local).get('Worker8');

  it('collects the role’s inline policies and the policies attached to it, resolved to local ARNs', () => {
    expect(role).toMatchObject({
      description: 'ingest/sqs-ingest',
      roleId: 'Role6',
      roleArn: 'arn:aws:iam::000000000000:role/HeraldDev-Role6',
      principalArn: 'arn:aws:sts::000000000000:assumed-role/HeraldDev-Role6/HeraldDev-Worker8',
    });
    expect(role?.statements.map((s) => [s.ref.policy, s.ref.index, s.resources])).toEqual([
      ['Role6.Policies[0]', 0, [TABLE]],
      ['Policy7', 0, ['arn:aws:logs:us-east-1:000000000000:log-group:HeraldDev-Worker-Logs:*']],
      ['Policy7', 1, ['arn:aws:s3:::heralddev-buckets-uploads/uploads/*']],
      ['Policy7', 2, [KEY]],
      ['Policy7', 3, ['arn:aws:sqs:us-east-1:000000000000:HeraldDev-Ingest-Queue']],
      ['Policy7', 4, [{ 'Fn::GetAtt': ['Nowhere9', 'Arn'] }].map((v) => JSON.stringify(v))],
      ['Policy7', 5, ['*']],
    ]);
  });

  it('keeps a statement it cannot resolve, as a problem (never a grant)', () => {
    expect(role?.statements[5]?.problems).toEqual([expect.stringContaining('logical id Nowhere9')]);
  });

  it('finds the KMS key of an SSE-KMS bucket', () => {
    expect(bucketKmsKeys(model, local)).toEqual(new Map([['heralddev-buckets-uploads', KEY]]));
  });
});

describe('lambdaServiceUses', () => {
  it('lists what the Lambda service does with the role: logs, traces, its SQS event source', () => {
    const worker = model.functions.get('Worker8');
    if (!worker) throw new Error('no worker in the model');
    const stream = 'arn:aws:logs:us-east-1:000000000000:log-group:HeraldDev-Worker-Logs:log-stream:local';
    const queue = 'arn:aws:sqs:us-east-1:000000000000:HeraldDev-Ingest-Queue';
    expect(lambdaServiceUses(worker, model, local).map((u) => [u.action, u.resource, u.when])).toEqual([
      ['logs:CreateLogStream', stream, 'invoke'],
      ['logs:PutLogEvents', stream, 'invoke'],
      ['xray:PutTraceSegments', '*', 'invoke'],
      ['xray:PutTelemetryRecords', '*', 'invoke'],
      ['sqs:ReceiveMessage', queue, 'deploy'],
      ['sqs:DeleteMessage', queue, 'deploy'],
      ['sqs:GetQueueAttributes', queue, 'deploy'],
    ]);
  });
});

describe('LocalIam', () => {
  const told: string[] = [];
  const setup = () => {
    const iam = new LocalIam({
      now: () => new Date('2026-01-01T00:00:00Z'),
      onRefused: (call) => told.push(`${call.function} ${call.action}`),
    });
    iam.enforce(functionRoles(model, local));
    iam.registerCredentials('Worker8', { accessKeyId: 'ASIAWORKER8', sessionToken: 'token-8' });
    return iam;
  };

  it('treats keys it did not give a function as the account owner, and unsigned calls as anonymous', () => {
    const iam = setup();
    const put = [{ action: 's3:PutObject', resource: OBJECT }];
    expect(iam.authorize({ accessKeyId: 'S3RVER' }, put)).toBeUndefined();
    expect(iam.authorize({ accessKeyId: 'local' }, { unknown: 'anything' })).toBeUndefined();
    expect(iam.authorize(undefined, put)?.message).toBe(
      `Anonymous callers are not authorized to perform: s3:PutObject on resource: ${OBJECT}`,
    );
    expect(iam.authorize({ sessionToken: 'not-a-function' }, put)).toBeDefined();
    expect(iam.evaluates({ accessKeyId: 'S3RVER' })).toBe(false);
    expect(iam.evaluates({ sessionToken: 'token-8' })).toBe(true);
  });

  it('allows what the function’s role grants and refuses the rest with AWS’s message', () => {
    const iam = setup();
    const worker = { accessKeyId: 'ASIAWORKER8' };
    expect(
      iam.authorize(worker, [
        { action: 's3:GetObject', resource: OBJECT },
        { action: 'kms:Decrypt', resource: KEY },
      ]),
    ).toBeUndefined();
    expect(iam.authorize(worker, [{ action: 's3:PutObject', resource: OBJECT }])?.message).toBe(
      'User: arn:aws:sts::000000000000:assumed-role/HeraldDev-Role6/HeraldDev-Worker8 is not authorized to perform: ' +
        `s3:PutObject on resource: ${OBJECT} because no identity-based policy allows the s3:PutObject action`,
    );
    // The unresolvable statement grants nothing, and the refusal says so.
    expect(iam.authorize(worker, [{ action: 'dynamodb:PutItem', resource: TABLE }])?.message).toMatch(
      /undecided locally, not granted: Policy7#4: Resource: .*Nowhere9/,
    );
    expect(iam.authorize(worker, { unknown: 'POST /b/k' })?.message).toMatch(/does not know this call/);
    expect(iam.refused().map((r) => [r.function, r.action, r.calls])).toEqual([
      ['ingest/sqs-ingest', 's3:PutObject', 1],
      ['ingest/sqs-ingest', 'dynamodb:PutItem', 1],
      ['ingest/sqs-ingest', '?', 1],
    ]);
    expect(told.slice(-3)).toEqual([
      'ingest/sqs-ingest s3:PutObject',
      'ingest/sqs-ingest dynamodb:PutItem',
      'ingest/sqs-ingest ?',
    ]);
  });

  it('fails a deployment the Lambda service could not make with the role', () => {
    const iam = new LocalIam();
    const roles = functionRoles(model, local);
    const role = roles.get('Worker8');
    if (!role) throw new Error('no role');
    // The same role without its SQS statement: Lambda refuses to create the event source mapping.
    iam.enforce(
      new Map([['Worker8', { ...role, statements: role.statements.filter((s) => s.ref.index !== 3) }]]),
    );
    const worker = model.functions.get('Worker8');
    if (!worker) throw new Error('no worker');
    expect(() => iam.checkServiceUses('Worker8', lambdaServiceUses(worker, model, local))).toThrow(
      IamDeployError,
    );
    expect(() => iam.checkServiceUses('Worker8', lambdaServiceUses(worker, model, local))).toThrow(
      /ingest\/sqs-ingest: the Lambda service polls its SQS event source, but .* sqs:ReceiveMessage/,
    );
  });
});

describe('the usage report', () => {
  it('lists what each function used (generalised to the allowing statement) and the grants nothing used', () => {
    const iam = new LocalIam();
    const roles = functionRoles(model, local);
    iam.enforce(roles);
    iam.registerCredentials('Worker8', { accessKeyId: 'ASIAWORKER8', sessionToken: 't' });
    const worker = model.functions.get('Worker8');
    if (!worker) throw new Error('no worker');
    iam.checkServiceUses('Worker8', lambdaServiceUses(worker, model, local));
    for (const key of ['uploads/a.csv', 'uploads/b.csv'])
      iam.authorize({ accessKeyId: 'ASIAWORKER8' }, [
        { action: 's3:GetObject', resource: `arn:aws:s3:::heralddev-buckets-uploads/${key}` },
      ]);
    const report = iam.report();
    const usage = report.functions['ingest/sqs-ingest'];
    expect(usage?.used).toContainEqual({
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::heralddev-buckets-uploads/uploads/*',
      statement: 'Policy7#1',
      calls: 2,
    });
    expect(usage?.used).toContainEqual({
      action: 'sqs:ReceiveMessage',
      resource: 'arn:aws:sqs:us-east-1:000000000000:HeraldDev-Ingest-Queue',
      statement: 'Policy7#3',
      calls: 1,
      by: 'lambda-service',
    });
    expect(usage?.unused).toEqual([
      { statement: 'Role6.Policies[0]#0', action: 'dynamodb:Query', resource: TABLE },
      { statement: 'Policy7#2', action: 'kms:Decrypt', resource: KEY },
      {
        statement: 'Policy7#3',
        action: 'sqs:GetQueueUrl',
        resource: 'arn:aws:sqs:us-east-1:000000000000:HeraldDev-Ingest-Queue',
      },
      { statement: 'Policy7#4', action: 'dynamodb:PutItem', resource: '{"Fn::GetAtt":["Nowhere9","Arn"]}' },
    ]);
    expect(report).toMatchObject({ runs: 1, refusedCalls: 0, checkedCalls: 9 });
  });

  it('merges runs of the same policies and replaces a report of other policies', () => {
    const roles = functionRoles(model, local);
    const run = (resource: string) => ({
      checkedCalls: 1,
      used: new Map([['Worker8', [{ action: 's3:GetObject', resource, statement: 'Policy7#1', calls: 1 }]]]),
      refused: [
        { function: 'ingest/sqs-ingest', action: 's3:PutObject', resource: OBJECT, reason: 'r', calls: 1 },
      ],
      notes: [],
    });
    const first = usageReport(roles, run('arn:aws:s3:::heralddev-buckets-uploads/uploads/*'));
    const second = usageReport(roles, run('arn:aws:s3:::heralddev-buckets-uploads/uploads/*'), first);
    expect(second).toMatchObject({ runs: 2, checkedCalls: 2, refusedCalls: 2 });
    expect(second.functions['ingest/sqs-ingest']?.used).toEqual([
      {
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::heralddev-buckets-uploads/uploads/*',
        statement: 'Policy7#1',
        calls: 2,
      },
    ]);
    const other = usageReport(roles, run('x'), { ...first, policies: 'another template' });
    expect(other).toMatchObject({ runs: 1, checkedCalls: 1 });
  });
});
