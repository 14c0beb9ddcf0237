import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { addHeraldStack } from '../../lib/app.ts';
import { resolveConfig } from '../../lib/config.ts';
import type { HeraldStack } from '../../lib/stacks/herald-stack.ts';
import { logicalId } from './iam.ts';
import { type CfnTemplate, resourcesOf, synthesize, variablesOf } from './synth.ts';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const ZONE_ID = 'Z0123456789ABCDEFGHIJ';
const KEY = readFileSync(join(import.meta.dirname, 'fixtures', 'cloudfront-public-a.pem'), 'utf8');

/** What `cdk synth` would have cached in cdk.context.json after its lookups. */
const lookups = Object.fromEntries([
  ...[REGION, 'us-east-1'].map((region) => [
    `hosted-zone:account=${ACCOUNT}:domainName=example.com:region=${region}`,
    { Id: `/hostedzone/${ZONE_ID}`, Name: 'example.com.' },
  ]),
  [`availability-zones:account=${ACCOUNT}:region=${REGION}`, [`${REGION}a`, `${REGION}b`, `${REGION}c`]],
]);

let stack: HeraldStack;
let json: CfnTemplate;
let certificates: CfnTemplate;
let nagFindings: string[];

beforeAll(() => {
  vi.stubEnv('CDK_DEFAULT_ACCOUNT', ACCOUNT);
  vi.stubEnv('CDK_DEFAULT_REGION', REGION);
  const app = new App({
    builtinCloudFormationValidation: false,
    context: {
      'aws:cdk:bundling-stacks': [],
      ...lookups,
      env: 'prod',
      domain: 'herald.example.com',
      hostedZone: 'example.com',
      downloadsPublicKeys: KEY,
    },
  });
  stack = addHeraldStack(app, { nag: false });
  json = Template.fromStack(stack).toJSON() as CfnTemplate;
  const certStack = app.node.findChild('HeraldProdEdgeCertificate') as Stack;
  expect(certStack.region).toBe('us-east-1');
  certificates = Template.fromStack(certStack).toJSON() as CfnTemplate;
  nagFindings = new AwsSolutionsChecks(undefined, { verbose: true })
    .validateScope(app)
    .violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
}, 180_000);

afterAll(() => vi.unstubAllEnvs());

const only = (template: CfnTemplate, type: string) => {
  const found = resourcesOf(template, type);
  expect(found, type).toHaveLength(1);
  return found[0] as [string, { Properties: Record<string, unknown> }];
};

describe('prod with a domain', () => {
  it('validates a regional certificate for api. and ws. through DNS in the looked-up zone', () => {
    const [, cert] = only(json, 'AWS::CertificateManager::Certificate');
    expect(cert.Properties).toMatchObject({
      DomainName: 'api.herald.example.com',
      SubjectAlternativeNames: ['ws.herald.example.com'],
      ValidationMethod: 'DNS',
      DomainValidationOptions: expect.arrayContaining([
        { DomainName: 'api.herald.example.com', HostedZoneId: ZONE_ID },
        { DomainName: 'ws.herald.example.com', HostedZoneId: ZONE_ID },
      ]),
    });
  });

  it('gets the CloudFront certificate of files. from a us-east-1 stack', () => {
    const [, cert] = only(certificates, 'AWS::CertificateManager::Certificate');
    expect(cert.Properties).toMatchObject({
      DomainName: 'files.herald.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'files.herald.example.com', HostedZoneId: ZONE_ID }],
    });
    const [, distribution] = only(json, 'AWS::CloudFront::Distribution');
    const config = distribution.Properties.DistributionConfig as Record<string, unknown>;
    expect(config.Aliases).toEqual(['files.herald.example.com']);
    expect(config.ViewerCertificate).toMatchObject({
      SslSupportMethod: 'sni-only',
      MinimumProtocolVersion: 'TLSv1.2_2021',
      AcmCertificateArn: expect.anything(),
    });
  });

  it('maps the REST stage to api. and the WebSocket stage to ws., keeping the stage path', () => {
    const [restDomainId, rest] = only(json, 'AWS::ApiGateway::DomainName');
    expect(rest.Properties).toMatchObject({
      DomainName: 'api.herald.example.com',
      EndpointConfiguration: { Types: ['REGIONAL'] },
      SecurityPolicy: 'TLS_1_2',
    });
    const [, mapping] = only(json, 'AWS::ApiGateway::BasePathMapping');
    expect(mapping.Properties).toMatchObject({
      DomainName: { Ref: restDomainId },
      RestApiId: { Ref: logicalId(stack.restApi.api) },
      BasePath: 'v1',
    });
    const [wsDomainId, ws] = only(json, 'AWS::ApiGatewayV2::DomainName');
    expect(ws.Properties).toMatchObject({
      DomainName: 'ws.herald.example.com',
      DomainNameConfigurations: [
        expect.objectContaining({ EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }),
      ],
    });
    const [, apiMapping] = only(json, 'AWS::ApiGatewayV2::ApiMapping');
    expect(apiMapping.Properties).toMatchObject({
      DomainName: { Ref: wsDomainId },
      ApiId: { Ref: logicalId(stack.webSocket.api) },
      ApiMappingKey: 'v1',
    });
  });

  it('points api., ws. and files. at them with Route 53 aliases', () => {
    const records = resourcesOf(json, 'AWS::Route53::RecordSet').map(([, r]) => {
      const p = r.Properties as { Name: string; Type: string; HostedZoneId: string; AliasTarget?: unknown };
      expect(p.HostedZoneId).toBe(ZONE_ID);
      expect(p.AliasTarget).toBeDefined();
      return `${p.Type} ${p.Name}`;
    });
    expect(records.sort()).toEqual([
      'A api.herald.example.com.',
      'A files.herald.example.com.',
      'A ws.herald.example.com.',
      'AAAA files.herald.example.com.',
    ]);
  });

  it('hands out the custom URLs: outputs for the SDK, the CDN URL in the functions', () => {
    expect(json.Outputs?.RestApiUrl).toMatchObject({ Value: 'https://api.herald.example.com/v1/' });
    expect(json.Outputs?.WebSocketUrl).toMatchObject({ Value: 'wss://ws.herald.example.com/v1' });
    for (const fn of stack.functions.values()) {
      const vars = variablesOf(json, logicalId(fn.function));
      expect(vars.HERALD_FILES_CDN_URL).toBe('https://files.herald.example.com');
    }
  });

  it('deploys the certificate stack, then the stack, then the distribution logs stack', () => {
    const stacks = stack.node.root.node.children.filter((c): c is Stack => c instanceof Stack);
    const named = (id: string) => stacks.find((s) => s.node.id === id);
    expect(stacks.map((s) => `${s.node.id} ${s.region}`).sort()).toEqual([
      'HeraldProd eu-west-1',
      'HeraldProdEdgeCertificate us-east-1',
      'HeraldProdEdgeLogs us-east-1',
    ]);
    expect(stack.dependencies).toEqual([named('HeraldProdEdgeCertificate')]);
    expect(named('HeraldProdEdgeLogs')?.dependencies).toEqual([stack]);
    expect(named('HeraldProdEdgeCertificate')?.dependencies).toEqual([]);
  });

  it('stays cdk-nag clean, certificate stack included', () => {
    expect(nagFindings).toEqual([]);
  });
});

describe('dev without a domain', () => {
  it('has no certificates, custom domains or DNS records', () => {
    const dev = synthesize('dev');
    for (const type of [
      'AWS::CertificateManager::Certificate',
      'AWS::ApiGateway::DomainName',
      'AWS::ApiGatewayV2::DomainName',
      'AWS::Route53::RecordSet',
    ])
      expect(resourcesOf(dev.json, type), type).toEqual([]);
    expect(dev.stack.domains).toBeUndefined();
  });
});

describe('domain settings', () => {
  it('refuses a name outside its zone, a zone without a name, and an env-agnostic synth', () => {
    expect(() => resolveConfig('prod', { domain: 'herald.example.org', hostedZone: 'example.com' })).toThrow(
      /not in the hosted zone/,
    );
    expect(() => resolveConfig('prod', { hostedZone: 'example.com' })).toThrow(/hostedZone needs domain/);
    expect(() => resolveConfig('prod', { domain: 'Herald.Example.com' })).toThrow(/lower-case DNS name/);
    expect(resolveConfig('prod', { domain: 'herald.example.com' }).edge.domain).toEqual({
      name: 'herald.example.com',
      hostedZone: undefined,
    });
    vi.stubEnv('CDK_DEFAULT_ACCOUNT', '');
    try {
      expect(() => synthesize('prod', { domain: 'herald.example.com' })).toThrow(
        /needs an account and a region/,
      );
    } finally {
      vi.stubEnv('CDK_DEFAULT_ACCOUNT', ACCOUNT);
    }
  });
});
