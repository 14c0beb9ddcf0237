import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  resolveString,
  UnmappedReferenceError,
  UnsupportedIntrinsicError,
} from '../../src/template/intrinsics.ts';
import {
  type LocalEnvironment,
  localizeValue,
  localResolver,
  resolveEnvironment,
} from '../../src/template/mapping.ts';
import { type CfnTemplate, CloudAssemblyError, modelOf, readStackModel } from '../../src/template/model.ts';

// A small template in the shape the CDK app synthesizes (names as CDK generates them).
const template: CfnTemplate = {
  Resources: {
    TablesConnections1: {
      Type: 'AWS::DynamoDB::Table',
      Properties: { TableName: 'heralddev-connections', KeySchema: [], AttributeDefinitions: [] },
      Metadata: { 'aws:cdk:path': 'HeraldDev/Tables/Connections/Resource' },
    },
    BucketsUploads2: {
      Type: 'AWS::S3::Bucket',
      Properties: {
        CorsConfiguration: {
          CorsRules: [{ AllowedOrigins: ['http://localhost:5173'], AllowedMethods: ['PUT'] }],
        },
      },
      Metadata: { 'aws:cdk:path': 'HeraldDev/Buckets/Uploads/Resource' },
    },
    IngestQueue3: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        VisibilityTimeout: 5400,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq4', 'Arn'] }, maxReceiveCount: 3 },
      },
      Metadata: { 'aws:cdk:path': 'HeraldDev/IngestQueue/Queue/Resource' },
    },
    Dlq4: {
      Type: 'AWS::SQS::Queue',
      Properties: {},
      Metadata: { 'aws:cdk:path': 'HeraldDev/IngestQueue/DeadLetterQueue/Resource' },
    },
    Secret5: {
      Type: 'AWS::SecretsManager::Secret',
      Properties: {},
      Metadata: { 'aws:cdk:path': 'HeraldDev/Database/Secret/Resource' },
    },
    Attachment6: {
      Type: 'AWS::SecretsManager::SecretTargetAttachment',
      Properties: { SecretId: { Ref: 'Secret5' }, TargetId: { Ref: 'Db7' } },
    },
    Db7: { Type: 'AWS::RDS::DBInstance', Properties: { MasterUsername: 'herald_admin', DBName: 'herald' } },
    Proxy8: { Type: 'AWS::RDS::DBProxy', Properties: {} },
    WsApi9: {
      Type: 'AWS::ApiGatewayV2::Api',
      Properties: { ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' },
    },
    Worker10: {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Code: { S3Bucket: 'cdk-assets', S3Key: 'abc123.zip' },
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        Timeout: 900,
        MemorySize: 1024,
        Description: 'ingest/sqs-ingest',
        Environment: {
          Variables: {
            TABLE: { Ref: 'TablesConnections1' },
            BUCKET: { Ref: 'BucketsUploads2' },
            QUEUE: { Ref: 'IngestQueue3' },
            SECRET: { Ref: 'Attachment6' },
            DB: {
              'Fn::Join': [
                '',
                [
                  'postgresql://herald_admin@',
                  { 'Fn::GetAtt': ['Db7', 'Endpoint.Address'] },
                  ':',
                  { 'Fn::GetAtt': ['Db7', 'Endpoint.Port'] },
                  '/herald',
                ],
              ],
            },
            // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, not a JS template
            PROXY: { 'Fn::Sub': 'postgresql://u@${Proxy8.Endpoint}/herald' },
            WS: {
              'Fn::Join': [
                '',
                [
                  'https://',
                  { Ref: 'WsApi9' },
                  '.execute-api.',
                  { Ref: 'AWS::Region' },
                  '.',
                  { Ref: 'AWS::URLSuffix' },
                  '/v1',
                ],
              ],
            },
            CA: '/var/runtime/ca-cert.pem',
            ORIGINS: 'http://localhost:5173,http://127.0.0.1:5173',
          },
        },
      },
    },
    Mapping11: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: {
        EventSourceArn: { 'Fn::GetAtt': ['IngestQueue3', 'Arn'] },
        FunctionName: { Ref: 'Worker10' },
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 2 },
      },
    },
  },
};

const local: LocalEnvironment = {
  stackName: 'HeraldDev',
  sqsEndpoint: 'http://127.0.0.1:9000',
  database: { host: '127.0.0.1', port: 54321 },
  userPoolId: 'us-east-1_local',
  userPoolClientId: 'local-client',
  aliases: [
    { from: 'https://wsapi9.execute-api.us-east-1.amazonaws.com', to: 'http://127.0.0.1:9001' },
    { from: 'http://localhost:5173', to: 'http://127.0.0.1:9002' },
    { from: 'http://127.0.0.1:5173', to: 'http://127.0.0.1:9002' },
  ],
  files: { '/var/runtime/ca-cert.pem': '/data/tls/lambda-ca-bundle.pem' },
};

const model = modelOf(template, 'HeraldDev', () => '/bundles/abc123');

describe('the template model', () => {
  it('reads functions, queues with their redrive, and event source mappings as the template states them', () => {
    expect(model.functions.get('Worker10')).toMatchObject({
      codeDir: '/bundles/abc123',
      handler: 'index.handler',
      runtime: 'nodejs24.x',
      timeoutSeconds: 900,
      memoryMiB: 1024,
    });
    expect(model.queues.get('IngestQueue3')).toMatchObject({
      visibilityTimeoutSeconds: 5400,
      maxReceiveCount: 3,
      deadLetterQueueId: 'Dlq4',
    });
    expect(model.eventSources).toEqual([
      {
        queueId: 'IngestQueue3',
        functionId: 'Worker10',
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: 2,
      },
    ]);
  });
});

describe('the local mapping', () => {
  it('resolves a function’s environment: names, URLs, the secret behind an attachment, aliases and runtime files', () => {
    const env = resolveEnvironment(
      'Worker10',
      model.functions.get('Worker10')?.environment ?? {},
      template,
      local,
    );
    expect(env).toEqual({
      TABLE: 'heralddev-connections',
      BUCKET: 'heralddev-buckets-uploads',
      QUEUE: 'http://127.0.0.1:9000/000000000000/HeraldDev-IngestQueue-Queue',
      SECRET: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:HeraldDev-Database-Secret',
      DB: 'postgresql://herald_admin@127.0.0.1:54321/herald',
      PROXY: 'postgresql://u@127.0.0.1/herald',
      WS: 'http://127.0.0.1:9001/v1',
      CA: '/data/tls/lambda-ca-bundle.pem',
      ORIGINS: 'http://127.0.0.1:9002,http://127.0.0.1:9002',
    });
  });

  it('fails on a reference it has no mapping for, naming the logical id and where it is used', () => {
    const withUnknown: CfnTemplate = {
      Resources: { ...template.Resources, Vpc12: { Type: 'AWS::EC2::VPC', Properties: {} } },
    };
    const resolve = () => resolveEnvironment('Worker10', { VPC: { Ref: 'Vpc12' } }, withUnknown, local);
    expect(resolve).toThrow(UnmappedReferenceError);
    expect(resolve).toThrow(/function Worker10, variable VPC: Ref of a AWS::EC2::VPC \(logical id Vpc12\)/);
    expect(() => resolveEnvironment('Worker10', { X: { Ref: 'Nowhere' } }, template, local)).toThrow(
      /logical id Nowhere/,
    );
    expect(() =>
      resolveString({ 'Fn::If': ['c', 'a', 'b'] }, localResolver(template, local), 'here'),
    ).toThrow(UnsupportedIntrinsicError);
  });

  it('replaces whole addresses only, never part of a longer host', () => {
    expect(localizeValue('http://localhost:51730', local)).toBe('http://localhost:51730');
    expect(localizeValue('http://localhost:5173/path', local)).toBe('http://127.0.0.1:9002/path');
  });
});

describe('readStackModel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-assembly-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails naming the function whose bundle is missing, and a missing stack or assembly', () => {
    writeFileSync(
      join(dir, 'manifest.json'),
      JSON.stringify({
        artifacts: {
          HeraldDev: { type: 'aws:cloudformation:stack', properties: { templateFile: 't.json' } },
        },
      }),
    );
    writeFileSync(join(dir, 't.json'), JSON.stringify(template));
    writeFileSync(
      join(dir, 'HeraldDev.assets.json'),
      JSON.stringify({ files: { abc123: { source: { path: 'asset.abc123' } } } }),
    );
    expect(() => readStackModel(dir, 'HeraldDev')).toThrow(CloudAssemblyError);
    expect(() => readStackModel(dir, 'HeraldDev')).toThrow(/function Worker10: its bundle \(asset abc123\)/);
    expect(() => readStackModel(dir, 'HeraldProd')).toThrow(/no stack HeraldProd/);
    expect(() => readStackModel(join(dir, 'nothing'), 'HeraldDev')).toThrow(/no cloud assembly/);
  });
});
