import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addHeraldStack } from '../../lib/app.ts';
import { ENVIRONMENTS } from '../../lib/config.ts';
import type { HeraldStack } from '../../lib/stacks/herald-stack.ts';
import { logicalId } from './iam.ts';
import { type CfnTemplate, resourcesOf } from './synth.ts';

const config = ENVIRONMENTS.prod;

interface ValidationReport {
  readonly pluginReports: { pluginName: string; violations: { ruleName: string; severity: string }[] }[];
}

let outdir: string;
let stack: HeraldStack;
let json: CfnTemplate;
let report: ValidationReport | undefined;
let nagFindings: string[];

// The prod synth runs as `cdk synth -c env=prod` does, cdk-nag registered as in bin/app.ts (a
// finding fails the synth), except for esbuild (bundling.test.ts) and CDK's built-in
// CloudFormation validation: a WASM linter that costs ~20 s per template on this machine and
// runs in every `pnpm --filter @herald/infra synth` instead.
beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'herald-prod-'));
  const app = new App({
    outdir,
    builtinCloudFormationValidation: false,
    context: { 'aws:cdk:bundling-stacks': [], env: 'prod' },
  });
  stack = addHeraldStack(app);
  app.synth();
  json = Template.fromStack(stack).toJSON() as CfnTemplate;
  const file = join(outdir, 'validation-report.json');
  report = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ValidationReport) : undefined;
  nagFindings = new AwsSolutionsChecks(undefined, { verbose: true })
    .validateScope(app)
    .violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
}, 180_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const props = (id: string) => json.Resources[id]?.Properties ?? {};

describe('prod synth', () => {
  it('synthesizes with the cdk-nag plugin registered and reports no violation', () => {
    const violations = (report?.pluginReports ?? []).flatMap((p) =>
      p.violations.map((v) => `${p.pluginName} ${v.severity} ${v.ruleName}`),
    );
    expect(violations).toEqual([]);
  });

  it('leaves no cdk-nag AwsSolutions finding unacknowledged', () => {
    expect(nagFindings).toEqual([]);
  });
});

describe('prod settings', () => {
  it('runs PostgreSQL Multi-AZ with deletion protection, snapshotting it on removal', () => {
    const id = logicalId(stack.database.instance);
    expect(props(id)).toMatchObject({ MultiAZ: true, DeletionProtection: true });
    expect(json.Resources[id]?.DeletionPolicy).toBe('Snapshot');
  });

  it('retains and protects the tables, buckets, keys and user pool', () => {
    for (const [id, table] of resourcesOf(json, 'AWS::DynamoDB::Table')) {
      expect(table.DeletionPolicy, id).toBe('Retain');
      expect(table.Properties?.DeletionProtectionEnabled, id).toBe(true);
    }
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Cognito::UserPool']) {
      for (const [id, r] of resourcesOf(json, type)) expect(r.DeletionPolicy, id).toBe('Retain');
    }
    expect(stack.terminationProtection).toBe(true);
  });

  it('requires MFA and enables threat protection', () => {
    expect(props(logicalId(stack.auth.userPool))).toMatchObject({
      MfaConfiguration: 'ON',
      UserPoolTier: 'PLUS',
      DeletionProtection: 'ACTIVE',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
  });

  it('has no CORS until origins are configured', () => {
    expect(config.allowedOrigins).toEqual([]);
    const options = resourcesOf(json, 'AWS::ApiGateway::Method').filter(
      ([, m]) => m.Properties?.HttpMethod === 'OPTIONS',
    );
    expect(options).toEqual([]);
    expect(props(logicalId(stack.buckets.uploads)).CorsConfiguration).toBeUndefined();
  });

  it('spreads NAT over the AZs', () => {
    expect(resourcesOf(json, 'AWS::EC2::NatGateway')).toHaveLength(config.network.natGateways);
  });
});
