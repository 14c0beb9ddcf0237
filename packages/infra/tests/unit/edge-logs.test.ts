import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addHeraldStack } from '../../lib/app.ts';
import type { HeraldStack } from '../../lib/stacks/herald-stack.ts';
import { logicalId } from './iam.ts';
import { type CfnTemplate, flatten, resourcesOf, synthesize } from './synth.ts';

const ACCOUNT = '123456789012';
const KEY = readFileSync(join(import.meta.dirname, 'fixtures', 'cloudfront-public-a.pem'), 'utf8');
const DELIVERY_TYPES = ['AWS::Logs::DeliverySource', 'AWS::Logs::DeliveryDestination', 'AWS::Logs::Delivery'];

interface ProdSynth {
  readonly app: App;
  readonly stack: HeraldStack;
  readonly json: CfnTemplate;
  readonly nagFindings: string[];
}

/** `cdk synth -c env=prod -c downloadsPublicKeys=…` with credentials for `region`. */
function synthesizeProdIn(region: string): ProdSynth {
  vi.stubEnv('CDK_DEFAULT_ACCOUNT', ACCOUNT);
  vi.stubEnv('CDK_DEFAULT_REGION', region);
  const app = new App({
    builtinCloudFormationValidation: false,
    context: {
      'aws:cdk:bundling-stacks': [],
      // What `cdk synth` would have cached in cdk.context.json.
      [`availability-zones:account=${ACCOUNT}:region=${region}`]: [`${region}a`, `${region}b`, `${region}c`],
      env: 'prod',
      downloadsPublicKeys: KEY,
    },
  });
  const stack = addHeraldStack(app, { nag: false });
  const json = Template.fromStack(stack).toJSON() as CfnTemplate;
  const nagFindings = new AwsSolutionsChecks(undefined, { verbose: true })
    .validateScope(app)
    .violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
  return { app, stack, json, nagFindings };
}

const only = (template: CfnTemplate, type: string) => {
  const found = resourcesOf(template, type);
  expect(found, type).toHaveLength(1);
  return found[0] as [string, { Properties: Record<string, unknown> }];
};

interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Principal?: unknown;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The statements of the access log bucket's policy that name the log delivery service. */
function deliveryStatements(s: ProdSynth | { stack: HeraldStack; json: CfnTemplate }): Statement[] {
  const bucketId = logicalId(s.stack.buckets.accessLogs);
  const policy = resourcesOf(s.json, 'AWS::S3::BucketPolicy').find(
    ([, r]) => (r.Properties?.Bucket as { Ref?: string } | undefined)?.Ref === bucketId,
  )?.[1];
  const statements =
    (policy?.Properties?.PolicyDocument as { Statement?: Statement[] } | undefined)?.Statement ?? [];
  return statements.filter((st) => JSON.stringify(st.Principal).includes('delivery.logs.amazonaws.com'));
}

/** A resolved value, with `arn:${AWS::Partition}` spelled `arn:aws` (the partition of these tests). */
function arnText(value: unknown): string {
  const resolved = JSON.stringify(value).replace(/\{"Ref":"AWS::Partition"\}/g, '"aws"');
  return flatten(JSON.parse(resolved));
}

/** The main stack's cross-region exports (`Custom::CrossRegionExportWriter`): parameter name → value. */
function crossRegionExports(json: CfnTemplate): Record<string, unknown> {
  const [, writer] = only(json, 'Custom::CrossRegionExportWriter');
  return (writer.Properties.WriterProps as { exports: Record<string, unknown> }).exports;
}

/** What a value the logs stack reads across regions is, in the main stack's terms. */
function exportedValue(main: CfnTemplate, imported: unknown): unknown {
  const [, attribute] = (imported as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
  return crossRegionExports(main)[attribute];
}

afterAll(() => vi.unstubAllEnvs());

describe('distribution access logs with the stack in eu-west-1', () => {
  let s: ProdSynth;
  let logsStack: Stack | undefined;
  let logs: CfnTemplate;

  beforeAll(() => {
    s = synthesizeProdIn('eu-west-1');
    logsStack = s.app.node.tryFindChild('HeraldProdEdgeLogs') as Stack | undefined;
    logs = logsStack ? (Template.fromStack(logsStack).toJSON() as CfnTemplate) : { Resources: {} };
  }, 180_000);

  it('delivers them from a us-east-1 stack: ACCESS_LOGS of the distribution into the access log bucket', () => {
    expect(logsStack?.region).toBe('us-east-1');
    expect(logsStack?.account).toBe(ACCOUNT);
    const [sourceId, source] = only(logs, 'AWS::Logs::DeliverySource');
    expect(source.Properties).toMatchObject({ Name: 'HeraldProd-downloads', LogType: 'ACCESS_LOGS' });
    // The distribution's id crosses regions; its ARN is built here.
    const [, arnParts] = (source.Properties.ResourceArn as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    expect(arnParts.slice(0, 3)).toEqual([
      'arn:',
      { Ref: 'AWS::Partition' },
      `:cloudfront::${ACCOUNT}:distribution/`,
    ]);
    expect(exportedValue(s.json, arnParts[3])).toEqual({
      Ref: logicalId(s.stack.downloads?.distribution as never),
    });
    const [destinationId, destination] = only(logs, 'AWS::Logs::DeliveryDestination');
    expect(destination.Properties).toMatchObject({ Name: 'HeraldProd-downloads', OutputFormat: 'w3c' });
    expect(exportedValue(s.json, destination.Properties.DestinationResourceArn)).toEqual({
      'Fn::GetAtt': [logicalId(s.stack.buckets.accessLogs), 'Arn'],
    });
    const [, delivery] = only(logs, 'AWS::Logs::Delivery');
    expect(delivery.Properties).toMatchObject({
      DeliverySourceName: { Ref: sourceId },
      DeliveryDestinationArn: { 'Fn::GetAtt': [destinationId, 'Arn'] },
      S3SuffixPath: 'cloudfront/{DistributionId}/{yyyy}/{MM}/{dd}/{HH}',
    });
    for (const type of DELIVERY_TYPES) expect(resourcesOf(s.json, type), type).toEqual([]);
  });

  it('admits the deliveries in the log bucket policy of the main stack, from us-east-1 of this account only', () => {
    const statements = deliveryStatements(s);
    const write = statements.find((st) => st.Action === 's3:PutObject');
    const aclCheck = statements.find((st) => st !== write);
    expect(statements).toHaveLength(2);
    expect(write?.Effect).toBe('Allow');
    expect(arnText(write?.Resource)).toBe('token/cloudfront/*');
    expect(write?.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': ACCOUNT, 's3:x-amz-acl': 'bucket-owner-full-control' },
      ArnLike: { 'aws:SourceArn': expect.anything() },
    });
    // us-east-1, where the delivery resources live, not the bucket's region.
    expect(arnText(write?.Condition?.ArnLike?.['aws:SourceArn'])).toBe(`arn:aws:logs:us-east-1:${ACCOUNT}:*`);
    expect(aclCheck?.Action).toEqual(['s3:GetBucketAcl', 's3:ListBucket']);
    expect(aclCheck?.Resource).toEqual({ 'Fn::GetAtt': [logicalId(s.stack.buckets.accessLogs), 'Arn'] });
    expect(aclCheck?.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
      ArnLike: { 'aws:SourceArn': write?.Condition?.ArnLike?.['aws:SourceArn'] },
    });
  });

  it('deploys the logs stack after the main stack, which exports the two ARNs to it', () => {
    expect(logsStack?.dependencies).toEqual([s.stack]);
    expect(s.stack.dependencies).toEqual([]);
    expect(Object.keys(crossRegionExports(s.json))).toHaveLength(2);
    expect(only(logs, 'Custom::CrossRegionExportReader')).toBeDefined();
  });

  it('expires the log objects with the bucket: its lifecycle rule has no prefix', () => {
    const bucket = s.json.Resources[logicalId(s.stack.buckets.accessLogs)];
    expect(bucket?.Properties?.LifecycleConfiguration).toEqual({
      Rules: [{ Id: 'expire-access-logs', ExpirationInDays: 365, Status: 'Enabled' }],
    });
  });

  it('says where the logs go in the acknowledgement of CFR3 (legacy logging)', () => {
    const reasons = (s.stack.downloads?.distribution.node.metadata ?? [])
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .filter(([id]) => id.endsWith('AwsSolutions-CFR3'))
      .map(([, reason]) => reason);
    expect(reasons).toEqual([expect.stringMatching(/standard logging \(v2\).*cloudfront\//)]);
  });

  it('stays cdk-nag clean, the logs stack included', () => {
    expect(s.nagFindings).toEqual([]);
  });
});

describe('distribution access logs with the stack in us-east-1', () => {
  let s: ProdSynth;

  beforeAll(() => {
    s = synthesizeProdIn('us-east-1');
  }, 180_000);

  it('puts the delivery in the stack itself, and no other stack in the app', () => {
    expect(s.app.node.children.filter((c) => c instanceof Stack)).toEqual([s.stack]);
    const [, source] = only(s.json, 'AWS::Logs::DeliverySource');
    expect(source.Properties).toMatchObject({ LogType: 'ACCESS_LOGS' });
    expect(arnText(source.Properties.ResourceArn)).toBe(`arn:aws:cloudfront::${ACCOUNT}:distribution/token`);
    const [, destination] = only(s.json, 'AWS::Logs::DeliveryDestination');
    expect(destination.Properties.DestinationResourceArn).toEqual({
      'Fn::GetAtt': [logicalId(s.stack.buckets.accessLogs), 'Arn'],
    });
    only(s.json, 'AWS::Logs::Delivery');
    expect(resourcesOf(s.json, 'Custom::CrossRegionExportWriter')).toEqual([]);
    expect(deliveryStatements(s)).toHaveLength(2);
  });

  it('stays cdk-nag clean', () => {
    expect(s.nagFindings).toEqual([]);
  });
});

describe('distribution access logs in an environment-agnostic synth', () => {
  it('adds nothing (the local stack runs this template) and warns that a deploy needs the environment', () => {
    vi.stubEnv('CDK_DEFAULT_ACCOUNT', '');
    vi.stubEnv('CDK_DEFAULT_REGION', '');
    const dev = synthesize('dev', { downloadsPublicKeys: KEY });
    expect(dev.app.node.children.filter((c) => c instanceof Stack)).toEqual([dev.stack]);
    for (const type of DELIVERY_TYPES) expect(resourcesOf(dev.json, type), type).toEqual([]);
    expect(deliveryStatements(dev)).toEqual([]);
    Annotations.fromStack(dev.stack).hasWarning(
      '/HeraldDev',
      Match.stringLikeRegexp('distribution logs nothing in an environment-agnostic synth'),
    );
  });
});
