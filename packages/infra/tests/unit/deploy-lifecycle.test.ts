import { describe, expect, it } from 'vitest';
import { HANDLER_ACCESS } from '../../lib/handlers.ts';
import { logicalId } from './iam.ts';
import {
  type CfnResourceJson,
  type CfnTemplate,
  resourcesOf,
  type Synthesized,
  synthesize,
} from './synth.ts';

// What CloudFormation does over a stack's life — create, update, rollback, a second environment
// in the account, delete — read off the template: deploy order, physical names, removal.

const dev: Synthesized = synthesize('dev');
const prod: Synthesized = synthesize('prod');

const dependsOn = (r: CfnResourceJson | undefined): string[] => [r?.DependsOn ?? []].flat();

describe('deploy order', () => {
  const migration = () => logicalId(dev.stack.migrations.resource);
  const schemaUsers = Object.entries(HANDLER_ACCESS)
    .filter(([, access]) => access.database)
    .map(([key]) => key);

  it('has handlers that use the schema', () => {
    expect(schemaUsers.length).toBeGreaterThan(5);
  });

  // On an update CloudFormation runs the migration before it touches these functions, so new code
  // never meets an old schema; on a first deploy they are created once the tables exist.
  it.each(schemaUsers)('creates and updates %s only after the migration custom resource', (key) => {
    const fn = dev.stack.functions.get(key);
    if (!fn) throw new Error(`no function for ${key}`);
    expect(dependsOn(dev.json.Resources[logicalId(fn.function)])).toContain(migration());
  });

  it('starts the database queue workers’ event source mappings only after the migration, the others at once', () => {
    const mappings = resourcesOf(dev.json, 'AWS::Lambda::EventSourceMapping');
    expect(mappings.length).toBe(dev.stack.queueWorkers.size);
    const usesDatabase = (mapping: unknown) => {
      const name = JSON.stringify(
        (mapping as { Properties: { FunctionName: unknown } }).Properties.FunctionName,
      );
      return [...dev.stack.functions].some(
        ([key, fn]) => HANDLER_ACCESS[key]?.database && name.includes(logicalId(fn.function)),
      );
    };
    const withDatabase = mappings.filter(([, mapping]) => usesDatabase(mapping));
    // The topic fan-out worker is the one without: it needs no schema, so nothing holds it back.
    expect(withDatabase.length).toBe(mappings.length - 1);
    for (const [id, mapping] of mappings) {
      if (usesDatabase(mapping)) expect(dependsOn(mapping), id).toContain(migration());
      else expect(dependsOn(mapping), id).not.toContain(migration());
    }
  });

  it('leaves the functions without database access free of the migration (they need no schema)', () => {
    const free = Object.entries(HANDLER_ACCESS).filter(([, access]) => !access.database);
    expect(free.length).toBeGreaterThan(0);
    for (const [key] of free) {
      const fn = dev.stack.functions.get(key);
      if (!fn) throw new Error(`no function for ${key}`);
      expect(dependsOn(dev.json.Resources[logicalId(fn.function)]), key).not.toContain(migration());
    }
  });
});

/**
 * Every top-level `…Name` property a template sets to a literal, and the rotation function's
 * name (a Serverless Application parameter), as `<type> <property>` → values.
 */
function literalNames(json: CfnTemplate): Map<string, string[]> {
  const names = new Map<string, string[]>();
  const add = (key: string, value: unknown) => {
    if (typeof value === 'string') names.set(key, [...(names.get(key) ?? []), value]);
  };
  for (const r of Object.values(json.Resources)) {
    for (const [property, value] of Object.entries(r.Properties ?? {}))
      if (property.endsWith('Name')) add(`${r.Type} ${property}`, value);
    if (r.Type === 'AWS::Serverless::Application')
      add(
        `${r.Type} Parameters.functionName`,
        (r.Properties?.Parameters as Record<string, unknown>)?.functionName,
      );
  }
  return names;
}

/** Names AWS requires to be unique in an account and region: two stacks must never share one. */
const ACCOUNT_UNIQUE = [
  'AWS::RDS::DBProxy DBProxyName',
  'AWS::DynamoDB::Table TableName',
  'AWS::Logs::LogGroup LogGroupName',
  'AWS::CloudWatch::Dashboard DashboardName',
  // API Gateway's access log stream, named amazon-apigateway-* as API Gateway requires.
  'AWS::KinesisFirehose::DeliveryStream DeliveryStreamName',
  // The rotation Lambda the Serverless Application creates.
  'AWS::Serverless::Application Parameters.functionName',
];

/** Names scoped to something else, or labels AWS does not require to be unique. */
const SCOPED: Readonly<Record<string, string>> = {
  'AWS::IAM::Policy PolicyName': 'an inline policy: unique per role it is attached to',
  'AWS::RDS::DBInstance DBName': 'the database inside the instance',
  'AWS::RDS::DBProxyTargetGroup TargetGroupName': "a proxy's one target group, always `default`",
  'AWS::Cognito::UserPoolGroup GroupName': 'unique per user pool',
  'AWS::ApiGatewayV2::Api Name': 'API names need not be unique',
  'AWS::ApiGatewayV2::Authorizer Name': 'unique per API',
  'AWS::ApiGatewayV2::Stage StageName': 'unique per API',
  'AWS::ApiGateway::RestApi Name': 'API names need not be unique',
  'AWS::ApiGateway::Authorizer Name': 'unique per API',
  'AWS::ApiGateway::Stage StageName': 'unique per API',
  'AWS::SNS::Topic DisplayName': 'a label (the topic name is generated)',
  'AWS::CloudWatch::Alarm MetricName': 'the metric an alarm watches, not the alarm',
};

describe('physical names', () => {
  it('names nothing explicitly that is not classified as account-unique or scoped', () => {
    for (const s of [dev, prod]) {
      const unclassified = [...literalNames(s.json).keys()].filter(
        (key) => !ACCOUNT_UNIQUE.includes(key) && !(key in SCOPED),
      );
      expect(unclassified).toEqual([]);
    }
  });

  it('finds the explicitly named resources (the list is not empty by accident)', () => {
    expect([...literalNames(dev.json).keys()].filter((k) => ACCOUNT_UNIQUE.includes(k)).sort()).toEqual(
      [...ACCOUNT_UNIQUE].sort(),
    );
  });

  it.each(ACCOUNT_UNIQUE)('never gives a dev and a prod %s the same value', (key) => {
    const devNames = literalNames(dev.json).get(key) ?? [];
    const prodNames = literalNames(prod.json).get(key) ?? [];
    expect(devNames.length).toBeGreaterThan(0);
    expect(prodNames.length).toBe(devNames.length);
    expect(devNames.filter((name) => prodNames.includes(name))).toEqual([]);
  });
});

/** Resources that hold data or secrets. */
const STATEFUL = [
  'AWS::RDS::DBInstance',
  'AWS::DynamoDB::Table',
  'AWS::S3::Bucket',
  'AWS::KMS::Key',
  'AWS::Cognito::UserPool',
  'AWS::SecretsManager::Secret',
  'AWS::Logs::LogGroup',
];

const stateful = (s: Synthesized) => STATEFUL.flatMap((type) => resourcesOf(s.json, type));

describe('deleting the dev stack', () => {
  it.each(stateful(dev).map(([id, r]) => [id, r.Type]))('deletes %s (%s) with the stack', (id) => {
    const r = dev.json.Resources[id];
    expect([r?.DeletionPolicy, r?.UpdateReplacePolicy]).toEqual(['Delete', 'Delete']);
  });

  it('keeps only the account-level API Gateway logging role and its setting, which prod shares', () => {
    const retained = Object.entries(dev.json.Resources)
      .filter(([, r]) => r.DeletionPolicy !== undefined && r.DeletionPolicy !== 'Delete')
      .map(([, r]) => r.Type);
    expect(retained.sort()).toEqual(['AWS::ApiGateway::Account', 'AWS::IAM::Role']);
  });

  // CloudFormation cannot delete a bucket that holds objects (or object versions, in `uploads`).
  it('empties every bucket before deleting it, the access log bucket after the buckets and the streams that log into it', () => {
    const emptied = resourcesOf(dev.json, 'Custom::S3AutoDeleteObjects').map(([id, r]) => ({
      id,
      bucket: (r.Properties?.BucketName as { Ref?: string } | undefined)?.Ref,
    }));
    const buckets = resourcesOf(dev.json, 'AWS::S3::Bucket').map(([id]) => id);
    expect(emptied.map((e) => e.bucket).sort()).toEqual(buckets.sort());
    const accessLogs = emptied.find((e) => e.bucket === logicalId(dev.stack.buckets.accessLogs));
    const after = dependsOn(dev.json.Resources[accessLogs?.id ?? '']);
    expect(after).toEqual(
      expect.arrayContaining([
        logicalId(dev.stack.buckets.uploads),
        logicalId(dev.stack.buckets.files),
        dev.stack.getLogicalId(dev.stack.restApi.accessLogStream),
        dev.stack.getLogicalId(dev.stack.webSocket.accessLogStream),
      ]),
    );
  });

  it('turns off what would refuse a delete: deletion protection on the database, tables and user pool', () => {
    for (const [id, r] of resourcesOf(dev.json, 'AWS::RDS::DBInstance'))
      expect(r.Properties?.DeletionProtection, id).toBe(false);
    for (const [id, r] of resourcesOf(dev.json, 'AWS::DynamoDB::Table'))
      expect(r.Properties?.DeletionProtectionEnabled, id).toBe(false);
    for (const [id, r] of resourcesOf(dev.json, 'AWS::Cognito::UserPool'))
      expect(r.Properties?.DeletionProtection, id).toBe('INACTIVE');
    expect(dev.stack.terminationProtection).toBe(false);
  });
});

describe('deleting the prod stack', () => {
  it('never empties a bucket', () => {
    expect(resourcesOf(prod.json, 'Custom::S3AutoDeleteObjects')).toEqual([]);
  });

  it.each(stateful(prod).map(([id, r]) => [id, r.Type]))('keeps %s (%s)', (id, type) => {
    const r = prod.json.Resources[id];
    // RDS takes a final snapshot instead; everything else stays as it is.
    const kept = type === 'AWS::RDS::DBInstance' ? 'Snapshot' : 'Retain';
    expect([r?.DeletionPolicy, r?.UpdateReplacePolicy]).toEqual([kept, kept]);
  });
});
