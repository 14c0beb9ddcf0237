import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePublicKeys, resolveConfig } from '../../lib/config.ts';
import { HANDLER_ACCESS } from '../../lib/handlers.ts';
import { flattenCfnValue } from '../../lib/nag.ts';
import { grantsOf, logicalId } from './iam.ts';
import { type CfnTemplate, resourcesOf, type Synthesized, synthesize, variablesOf } from './synth.ts';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');
const KEY_A = fixture('cloudfront-public-a.pem');
const KEY_B = fixture('cloudfront-public-b.pem');

let withCdn: Synthesized;
let withoutCdn: Synthesized;

beforeAll(() => {
  withCdn = synthesize('dev', { downloadsPublicKeys: KEY_A });
  withoutCdn = synthesize('dev');
}, 180_000);

const only = (json: CfnTemplate, type: string) => {
  const found = resourcesOf(json, type);
  expect(found, type).toHaveLength(1);
  return found[0] as [string, { Properties?: Record<string, unknown> }];
};

describe('downloads through CloudFront', () => {
  it('puts a distribution with Origin Access Control, HTTPS only and signed URLs in front of the files bucket', () => {
    const [keyGroupId] = only(withCdn.json, 'AWS::CloudFront::KeyGroup');
    const [oacId, oac] = only(withCdn.json, 'AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties?.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    const [, distribution] = only(withCdn.json, 'AWS::CloudFront::Distribution');
    const config = distribution.Properties?.DistributionConfig as Record<string, unknown>;
    const behavior = config.DefaultCacheBehavior as Record<string, unknown>;
    expect(behavior.ViewerProtocolPolicy).toBe('https-only');
    expect(behavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(behavior.TrustedKeyGroups).toEqual([{ Ref: keyGroupId }]);
    expect(behavior.ResponseHeadersPolicyId).toBeDefined();
    const [origin] = config.Origins as Record<string, unknown>[];
    expect(origin?.DomainName).toEqual({
      'Fn::GetAtt': [logicalId(withCdn.stack.buckets.files), 'RegionalDomainName'],
    });
    expect(origin?.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [oacId, 'Id'] });
  });

  it('lets only this distribution read the files bucket, and the bucket stays private', () => {
    const filesId = logicalId(withCdn.stack.buckets.files);
    const distributionId = logicalId(withCdn.stack.downloads?.distribution as never);
    const policy = resourcesOf(withCdn.json, 'AWS::S3::BucketPolicy').find(
      ([, r]) => (r.Properties?.Bucket as { Ref?: string } | undefined)?.Ref === filesId,
    )?.[1];
    const statements =
      (policy?.Properties?.PolicyDocument as { Statement?: Record<string, unknown>[] } | undefined)
        ?.Statement ?? [];
    // Besides CloudFront, only dev's auto-delete custom resource (it empties the bucket on stack
    // delete; prod retains the bucket and has none) is allowed in.
    const allows = statements.filter((st) => st.Effect === 'Allow');
    const others = allows.filter((st) => !JSON.stringify(st.Principal).includes('cloudfront'));
    expect(others.map((st) => JSON.stringify(st.Principal))).toEqual([
      expect.stringContaining('CustomS3AutoDeleteObjectsCustomResourceProviderRole'),
    ]);
    const viaCloudFront = allows.filter((st) => !others.includes(st));
    expect(viaCloudFront).toHaveLength(1);
    expect(viaCloudFront[0]).toMatchObject({
      Action: 's3:GetObject',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Condition: {
        StringEquals: {
          'AWS:SourceArn': {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':cloudfront::',
                { Ref: 'AWS::AccountId' },
                ':distribution/',
                { Ref: distributionId },
              ],
            ],
          },
        },
      },
    });
    withCdn.template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
  });

  it('sends only the signed Content-Disposition to S3 and caches nothing', () => {
    const [, policy] = only(withCdn.json, 'AWS::CloudFront::OriginRequestPolicy');
    expect(policy.Properties?.OriginRequestPolicyConfig).toMatchObject({
      QueryStringsConfig: {
        QueryStringBehavior: 'whitelist',
        QueryStrings: ['response-content-disposition'],
      },
    });
    const [, distribution] = only(withCdn.json, 'AWS::CloudFront::Distribution');
    // The managed CachingDisabled policy.
    expect(
      (
        distribution.Properties?.DistributionConfig as
          | { DefaultCacheBehavior?: { CachePolicyId?: string } }
          | undefined
      )?.DefaultCacheBehavior?.CachePolicyId,
    ).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
  });

  it('gives the link handler and the fetch worker the URL and the signing key, and only them the secret', () => {
    const downloads = withCdn.stack.downloads;
    if (!downloads) throw new Error('no downloads');
    const secretId = logicalId(downloads.signingKey);
    const signers = Object.entries(HANDLER_ACCESS)
      .filter(([, a]) => a.signsDownloads)
      .map(([key]) => key)
      .sort();
    expect(signers).toEqual(['files/http-create-file-link', 'files/sqs-fetch-file']);
    for (const [key, fn] of withCdn.stack.functions) {
      const grants = grantsOf(withCdn.json, withCdn.stack, logicalId(fn.role)).filter((g) =>
        g.includes(secretId),
      );
      expect(grants.length > 0, key).toBe(signers.includes(key));
      const vars = variablesOf(withCdn.json, logicalId(fn.function));
      expect(vars.HERALD_FILES_SIGNING_KEY_SECRET_ARN).toEqual({ Ref: secretId });
      expect(vars.HERALD_FILES_CDN_URL).toEqual({
        'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(downloads.distribution), 'DomainName'] }]],
      });
    }
  });

  it('keys public keys by content, so a rotation adds and removes keys without touching the other', () => {
    const two = synthesize('dev', { downloadsPublicKeys: `${KEY_A}${KEY_B}` });
    const idsOf = (s: Synthesized) =>
      resourcesOf(s.json, 'AWS::CloudFront::PublicKey')
        .map(([id]) => id)
        .sort();
    const [first] = idsOf(withCdn);
    expect(idsOf(two)).toHaveLength(2);
    expect(idsOf(two)).toContain(first);
    // docs/deploy.md finds a key's id by the SHA-256 of its PEM file, named in the comment.
    const fingerprint = createHash('sha256').update(KEY_A).digest('hex').slice(0, 8);
    const [, key] = only(withCdn.json, 'AWS::CloudFront::PublicKey');
    expect((key.Properties?.PublicKeyConfig as { Comment?: string } | undefined)?.Comment).toBe(
      `Herald download links (sha256 ${fingerprint})`,
    );
    const [, group] = only(two.json, 'AWS::CloudFront::KeyGroup');
    expect((group.Properties?.KeyGroupConfig as { Items?: unknown[] } | undefined)?.Items).toHaveLength(2);
  });

  it('shows the distribution’s 4xx/5xx rates and the WAF’s blocks on the dashboard', () => {
    const body = (s: Synthesized) =>
      JSON.stringify(only(s.json, 'AWS::CloudWatch::Dashboard')[1].Properties?.DashboardBody);
    for (const text of [body(withCdn), body(withoutCdn)]) {
      expect(text).toContain('\\"AWS/WAFV2\\",\\"BlockedRequests\\"');
    }
    expect(body(withCdn)).toContain('\\"AWS/CloudFront\\",\\"4xxErrorRate\\"');
    expect(body(withCdn)).toContain('\\"AWS/CloudFront\\",\\"5xxErrorRate\\"');
    expect(body(withoutCdn)).not.toContain('AWS/CloudFront');
  });

  it('stays cdk-nag clean', () => {
    expect(withCdn.violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describe('without signing keys', () => {
  it('has no distribution, and links stay presigned S3 GETs', () => {
    expect(resourcesOf(withoutCdn.json, 'AWS::CloudFront::Distribution')).toEqual([]);
    expect(withoutCdn.stack.downloads).toBeUndefined();
    for (const fn of withoutCdn.stack.functions.values()) {
      const vars = variablesOf(withoutCdn.json, logicalId(fn.function));
      expect(vars.HERALD_FILES_CDN_URL).toBeUndefined();
    }
  });
});

describe('downloadsPublicKeys', () => {
  it('reads one or more PEM public keys and refuses anything else', () => {
    expect(
      resolveConfig('dev', { downloadsPublicKeys: `${KEY_A}\n${KEY_B}` }).edge.downloadsPublicKeys,
    ).toEqual([KEY_A, KEY_B]);
    expect(parsePublicKeys(KEY_A.trim())).toEqual([KEY_A]);
    expect(() => parsePublicKeys('-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----')).toThrow(
      /PEM public keys/,
    );
    expect(() => parsePublicKeys(`${KEY_A}garbage`)).toThrow(/PEM public keys/);
  });
});

describe('REST API access logs', () => {
  it('go through a Firehose stream into the access log bucket, not into a log group', () => {
    for (const s of [withCdn, withoutCdn]) {
      const streamId = s.stack.getLogicalId(s.stack.restApi.accessLogStream);
      const [, stage] = only(s.json, 'AWS::ApiGateway::Stage');
      const setting = stage.Properties?.AccessLogSetting as { DestinationArn?: unknown };
      expect(setting.DestinationArn).toEqual({ 'Fn::GetAtt': [streamId, 'Arn'] });

      const p = s.json.Resources[streamId]?.Properties ?? {};
      expect(p.DeliveryStreamName).toMatch(/^amazon-apigateway-/);
      expect(p.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
      const s3 = p.S3DestinationConfiguration as Record<string, unknown>;
      expect(s3.BucketARN).toEqual({ 'Fn::GetAtt': [logicalId(s.stack.buckets.accessLogs), 'Arn'] });
      expect(s3.Prefix).toBe('rest-api/');
    }
  });
});

/** Every `action resource` an IAM role is allowed by the template's `AWS::IAM::Policy` resources. */
const policyGrants = (json: CfnTemplate, roleId: string): string[] =>
  resourcesOf(json, 'AWS::IAM::Policy')
    .filter(([, r]) => ((r.Properties?.Roles ?? []) as { Ref?: string }[]).some((ref) => ref.Ref === roleId))
    .flatMap(
      ([, r]) =>
        ((r.Properties?.PolicyDocument ?? {}) as { Statement?: Record<string, unknown>[] }).Statement ?? [],
    )
    .flatMap((st) => {
      expect(st.Effect).toBe('Allow');
      return [st.Action]
        .flat()
        .flatMap((action) => [st.Resource].flat().map((res) => `${action} ${flattenCfnValue(res)}`));
    })
    .sort();

/** The logical id an `{ "Fn::GetAtt": [id, "Arn"] }` points at. */
const arnOf = (value: unknown): string => {
  const [id, attribute] = (value as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
  expect(attribute).toBe('Arn');
  return id;
};

describe('WebSocket API access logs', () => {
  const wsStream = (s: Synthesized) => {
    const id = s.stack.getLogicalId(s.stack.webSocket.accessLogStream);
    return [id, s.json.Resources[id]?.Properties ?? {}] as const;
  };

  it('stay in the stage’s log group, which a subscription filter forwards, every event, to their own Firehose stream', () => {
    for (const s of [withCdn, withoutCdn]) {
      const [, stage] = only(s.json, 'AWS::ApiGatewayV2::Stage');
      const logGroupId = arnOf(
        ((stage.Properties?.AccessLogSettings ?? {}) as { DestinationArn?: unknown }).DestinationArn,
      );
      expect(s.json.Resources[logGroupId]?.Type).toBe('AWS::Logs::LogGroup');

      const [, filter] = only(s.json, 'AWS::Logs::SubscriptionFilter');
      const [streamId] = wsStream(s);
      expect(filter.Properties?.LogGroupName).toEqual({ Ref: logGroupId });
      expect(filter.Properties?.FilterPattern).toBe('');
      expect(arnOf(filter.Properties?.DestinationArn)).toBe(streamId);
      expect(s.json.Resources[arnOf(filter.Properties?.RoleArn)]?.Type).toBe('AWS::IAM::Role');
      expect(streamId).not.toBe(s.stack.getLogicalId(s.stack.restApi.accessLogStream));
    }
  });

  it('land in the access log bucket under websocket-api/, encrypted, decompressed by Firehose and gzipped again', () => {
    for (const s of [withCdn, withoutCdn]) {
      const [, p] = wsStream(s);
      // API Gateway does not write to it: no amazon-apigateway-* name needed.
      expect(p.DeliveryStreamName).toBeUndefined();
      expect(p.DeliveryStreamType).toBe('DirectPut');
      expect(p.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
      const s3 = p.ExtendedS3DestinationConfiguration as Record<string, unknown>;
      expect(s3.BucketARN).toEqual({ 'Fn::GetAtt': [logicalId(s.stack.buckets.accessLogs), 'Arn'] });
      expect(s3.Prefix).toBe('websocket-api/');
      expect(s3.ErrorOutputPrefix).toBe('websocket-api-errors/');
      expect(s3.CompressionFormat).toBe('GZIP');
      expect(s3.ProcessingConfiguration).toEqual({
        Enabled: true,
        Processors: [
          {
            Type: 'Decompression',
            Parameters: [{ ParameterName: 'CompressionFormat', ParameterValue: 'GZIP' }],
          },
          {
            Type: 'CloudWatchLogProcessing',
            Parameters: [{ ParameterName: 'DataMessageExtraction', ParameterValue: 'true' }],
          },
          { Type: 'AppendDelimiterToRecord' },
        ],
      });
    }
  });

  it('gives the stream’s role S3 access to that bucket and prefix only, and Firehose alone may assume it', () => {
    const s = withoutCdn;
    const [, p] = wsStream(s);
    const roleId = arnOf((p.ExtendedS3DestinationConfiguration as { RoleARN: unknown }).RoleARN);
    const bucket = `<${logicalId(s.stack.buckets.accessLogs)}.Arn>`;
    const actions = [
      's3:AbortMultipartUpload',
      's3:GetBucketLocation',
      's3:GetObject',
      's3:ListBucket',
      's3:ListBucketMultipartUploads',
      's3:PutObject',
    ];
    expect(policyGrants(s.json, roleId)).toEqual(
      actions
        .flatMap((a) => [
          `${a} ${bucket}`,
          `${a} ${bucket}/websocket-api/*`,
          `${a} ${bucket}/websocket-api-errors/*`,
        ])
        .sort(),
    );
    const trust = s.json.Resources[roleId]?.Properties?.AssumeRolePolicyDocument as {
      Statement: Record<string, unknown>[];
    };
    expect(trust.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'firehose.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
  });

  it('lets CloudWatch Logs of this account and region put records into that stream only', () => {
    const s = withoutCdn;
    const [filterId, filter] = only(s.json, 'AWS::Logs::SubscriptionFilter');
    const [streamId] = wsStream(s);
    const roleId = arnOf(filter.Properties?.RoleArn);
    expect(policyGrants(s.json, roleId)).toEqual([
      `firehose:PutRecord <${streamId}.Arn>`,
      `firehose:PutRecordBatch <${streamId}.Arn>`,
    ]);
    const trust = s.json.Resources[roleId]?.Properties?.AssumeRolePolicyDocument as {
      Statement: Record<string, unknown>[];
    };
    expect(trust.Statement).toHaveLength(1);
    const [statement] = trust.Statement;
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Action: 'sts:AssumeRole',
      Principal: { Service: 'logs.amazonaws.com' },
    });
    const sourceArn = ((statement?.Condition ?? {}) as { StringLike?: Record<string, unknown> }).StringLike?.[
      'aws:SourceArn'
    ];
    expect(flattenCfnValue(sourceArn)).toBe('arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:*');
    // The role and its policy exist before CloudWatch Logs tests the destination on creation.
    const dependsOn = [s.json.Resources[filterId]?.DependsOn ?? []].flat();
    expect(dependsOn).toContain(roleId);
    expect(dependsOn.some((id) => s.json.Resources[id]?.Type === 'AWS::IAM::Policy')).toBe(true);
  });
});
