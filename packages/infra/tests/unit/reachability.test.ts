import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HANDLER_ACCESS } from '../../lib/handlers.ts';
import { mentions, NetworkGraph, NotModelledError, type Placement, type Verdict } from './network-graph.ts';
import { type CfnTemplate, resourcesOf, type Synthesized, synthesize } from './synth.ts';

// The network paths Herald needs, checked on the synthesized template: nothing runs in a VPC
// locally, so this is where a missing security group rule or route shows before a deploy does.

/** A path Herald needs that the template does not open, or an opening it must not have. */
interface Finding {
  readonly path: string;
  readonly why: string;
}

/** The AWS APIs every VPC function calls (through an endpoint or NAT). */
const AWS_APIS = ['s3', 'dynamodb', 'sqs', 'secretsmanager'] as const;

/** Internet hosts the VPC functions call, over NAT; `@connections` breaks if an `execute-api` endpoint captures its name. */
const INTERNET: readonly (readonly [host: string, capturedBy?: string])[] = [
  ['FCM'],
  ['SRV-GW'],
  ['@connections', 'execute-api'],
];

/**
 * The database a function connects to and on which port, read from its `HERALD_DATABASE_URL`
 * (`postgresql://…@<proxy or instance endpoint>:<port>/herald`); a template older than that
 * variable named the host in another variable, so the rest of the environment is the fallback.
 */
function databaseOf(
  graph: NetworkGraph,
  template: CfnTemplate,
  fn: Placement,
): { target: Placement; port: number } | string {
  const env = fn.environment ?? {};
  const source = env.HERALD_DATABASE_URL ?? env;
  const named = mentions(source).filter(
    (m) => m.attribute === 'Endpoint' || m.attribute === 'Endpoint.Address',
  );
  const targets = [...new Set(named.map((m) => m.id))];
  if (targets.length !== 1) return `names ${targets.length} database endpoints in its environment`;
  const target = graph.placementOf(targets[0] as string);
  if (target === undefined) return `names ${targets[0]}, which is not in the VPC`;
  const portOf = mentions(source).find((m) => m.attribute === 'Endpoint.Port');
  const literal = /:(\d+)\//.exec(JSON.stringify(source))?.[1];
  const instance = portOf && template.Resources[portOf.id];
  const port = instance
    ? Number(instance.Properties?.Port ?? 5432)
    : literal
      ? Number(literal)
      : (target.port ?? 5432);
  return { target, port };
}

/** Every path Herald needs that the template does not open, and every opening it must not have. */
function findings(template: CfnTemplate): Finding[] {
  const graph = NetworkGraph.fromTemplate(template);
  const out: Finding[] = [];
  const need = (path: string, verdict: Verdict) => {
    if (!verdict.ok) out.push({ path, why: verdict.why });
  };
  const instances = graph.placements.filter((p) => p.kind === 'instance');
  if (instances.length !== 1) out.push({ path: 'DB instance', why: `${instances.length} instances` });
  for (const fn of graph.placements.filter((p) => p.kind === 'function')) {
    const db = databaseOf(graph, template, fn);
    if (typeof db === 'string') out.push({ path: `${fn.name} → database`, why: db });
    else {
      if (db.port !== db.target.port)
        out.push({
          path: `${fn.name} → ${db.target.name}`,
          why: `its URL says port ${db.port}, ${db.target.name} listens on ${db.target.port}`,
        });
      need(`${fn.name} → ${db.target.name}:${db.port}`, graph.connect(fn, db.target, db.port));
    }
    for (const service of AWS_APIS) need(`${fn.name} → ${service}`, graph.service(fn, service));
    for (const [host, capturedBy] of INTERNET)
      need(`${fn.name} → ${host}`, graph.internet(fn, 443, capturedBy));
  }
  for (const proxy of graph.placements.filter((p) => p.kind === 'proxy'))
    need('RDS Proxy → secretsmanager', graph.service(proxy, 'secretsmanager'));
  for (const rotation of graph.placements.filter((p) => p.kind === 'rotation')) {
    for (const instance of instances)
      need(
        `rotation function → DB instance:${instance.port}`,
        graph.connect(rotation, instance, instance.port ?? 5432),
      );
    need('rotation function → secretsmanager', graph.service(rotation, 'secretsmanager', rotation.endpoint));
  }
  for (const opening of graph.openToTheWorld()) out.push({ path: 'open to the world', why: opening });
  for (const guarded of graph.placements.filter((p) => p.kind === 'instance' || p.kind === 'proxy'))
    for (const why of graph.publicExposure(guarded))
      out.push({ path: `public subnet → ${guarded.name}`, why });
  return out;
}

/** What the groups allow between the parts of the VPC, with RDS Proxy and the interface endpoints. */
const STANDARD_FLOWS = [
  '"Herald RDS Proxy" → "Herald PostgreSQL instance": tcp 5432',
  '"Herald RDS Proxy" → "Herald VPC interface endpoints": tcp 443',
  '"Herald database credential rotation" → "Herald PostgreSQL instance": tcp 5432',
  '"Herald database credential rotation" → "Herald VPC interface endpoints": tcp 443',
  '"Herald functions that use PostgreSQL" → "Herald PostgreSQL instance": tcp 5432',
  '"Herald functions that use PostgreSQL" → "Herald RDS Proxy": tcp 5432',
  '"Herald functions that use PostgreSQL" → "Herald VPC interface endpoints": tcp 443',
];

/** The expectations per synthesized template: `dev`, `prod`, and dev's `lean` profile. */
const PROFILES: Readonly<Record<string, { flows: string[]; apis: string[]; apiDatabase: string }>> = {
  dev: {
    flows: STANDARD_FLOWS,
    apis: ['gateway endpoint', 'gateway endpoint', 'interface endpoint', 'interface endpoint'],
    apiDatabase: 'RDS Proxy:5432',
  },
  prod: {
    flows: STANDARD_FLOWS,
    apis: ['gateway endpoint', 'gateway endpoint', 'interface endpoint', 'interface endpoint'],
    apiDatabase: 'RDS Proxy:5432',
  },
  // No RDS Proxy, no interface endpoints: SQS and Secrets Manager over the NAT gateway.
  lean: {
    flows: [
      '"Herald database credential rotation" → "Herald PostgreSQL instance": tcp 5432',
      '"Herald functions that use PostgreSQL" → "Herald PostgreSQL instance": tcp 5432',
    ],
    apis: ['gateway endpoint', 'gateway endpoint', 'NAT', 'NAT'],
    apiDatabase: 'DB instance:5432',
  },
};

/** The functions that must sit in the VPC: every handler with database access, and the migrator. */
const VPC_FUNCTIONS = [
  ...Object.entries(HANDLER_ACCESS)
    .filter(([, access]) => access.database)
    .map(([key]) => key),
  'applies database migrations on deploy',
].sort();

// Synthesized while the file is collected: the per-rule cases below are built from the template.
const synthesized: Readonly<Record<string, Synthesized>> = {
  dev: synthesize('dev'),
  prod: synthesize('prod'),
  lean: synthesize('dev', { profile: 'lean' }),
};
const templates = Object.fromEntries(Object.entries(synthesized).map(([name, s]) => [name, s.json]));
/** The dev template as committed at 2e98bee, before the endpoints' group admitted RDS Proxy. */
const beforeProxyFix = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures', 'herald-dev-2e98bee.template.json'), 'utf8'),
) as CfnTemplate;

const template = (name: string): CfnTemplate => templates[name] as CfnTemplate;
const copy = (name: string): CfnTemplate => structuredClone(template(name));
const paths = (found: Finding[]) => found.map((f) => f.path);

describe.each(Object.keys(PROFILES))('the %s network', (name) => {
  const expected = PROFILES[name] as (typeof PROFILES)[string];

  it('opens every path Herald needs: database, AWS APIs, internet, proxy and rotation to Secrets Manager', () => {
    expect(findings(template(name))).toEqual([]);
  });

  it('opens nothing else between the parts of the VPC', () => {
    expect(NetworkGraph.fromTemplate(template(name)).flows()).toEqual(expected.flows);
  });

  it('places exactly the functions that use PostgreSQL in the VPC', () => {
    const graph = NetworkGraph.fromTemplate(template(name));
    const names = graph.placements.filter((p) => p.kind === 'function').map((p) => p.name);
    expect(names.sort()).toEqual(VPC_FUNCTIONS);
  });

  it('reaches S3, DynamoDB, SQS and Secrets Manager the configured way', () => {
    const graph = NetworkGraph.fromTemplate(template(name));
    const worker = graph.placement('ingest/sqs-ingest');
    const via = (service: string) => {
      const verdict = graph.service(worker, service);
      if (!verdict.ok) return verdict.why;
      return verdict.via.startsWith('gateway')
        ? 'gateway endpoint'
        : verdict.via.startsWith('interface')
          ? 'interface endpoint'
          : 'NAT';
    };
    expect(AWS_APIS.map(via)).toEqual(expected.apis);
  });

  it('connects the worker and the migrator to the instance, the API handlers as configured', () => {
    const graph = NetworkGraph.fromTemplate(template(name));
    const target = (fn: string) => {
      const db = databaseOf(graph, template(name), graph.placement(fn));
      return typeof db === 'string' ? db : `${db.target.name}:${db.port}`;
    };
    expect(target('ingest/sqs-ingest')).toBe('DB instance:5432');
    expect(target('applies database migrations on deploy')).toBe('DB instance:5432');
    expect(target('ingest/http-list-jobs')).toBe(expected.apiDatabase);
    expect(target('files/http-create-grant')).toBe(expected.apiDatabase);
  });

  it('leaves no cdk-nag AwsSolutions finding unacknowledged', () => {
    expect((synthesized[name] as Synthesized).violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describe('the template before the proxy → Secrets Manager fix (2e98bee)', () => {
  it('reports the one missing path: the endpoints’ group does not admit RDS Proxy', () => {
    const found = findings(beforeProxyFix);
    expect(paths(found)).toEqual(['RDS Proxy → secretsmanager']);
    expect(found[0]?.why).toContain(
      'ingress of "Herald VPC interface endpoints" does not admit "Herald RDS Proxy"',
    );
  });

  it('lacks the proxy’s flow to the endpoints', () => {
    const flows = NetworkGraph.fromTemplate(beforeProxyFix).flows();
    expect(flows).not.toContain('"Herald RDS Proxy" → "Herald VPC interface endpoints": tcp 443');
  });
});

describe('a template changed for the worse', () => {
  const ingressRules = () => resourcesOf(template('dev'), 'AWS::EC2::SecurityGroupIngress').map(([id]) => id);

  it('has separate ingress rules to widen', () => {
    expect(ingressRules().length).toBeGreaterThanOrEqual(6);
  });

  // Every rule, one at a time: widened to the whole internet, it must be reported.
  it.each(ingressRules().map((id) => [id]))('reports %s widened to 0.0.0.0/0', (id) => {
    const t = copy('dev');
    const rule = t.Resources[id]?.Properties as Record<string, unknown>;
    delete rule.SourceSecurityGroupId;
    rule.CidrIp = '0.0.0.0/0';
    const found = findings(t);
    expect(found).toContainEqual({ path: 'open to the world', why: expect.stringContaining(`${id}:`) });
  });

  it('reports the database reachable from the public subnets when its rule is widened to the VPC', () => {
    const t = copy('dev');
    const [id] = resourcesOf(t, 'AWS::EC2::SecurityGroupIngress').find(
      ([, r]) => r.Properties?.Description === 'long-lived clients to PostgreSQL',
    ) as [string, unknown];
    const rule = t.Resources[id]?.Properties as Record<string, unknown>;
    delete rule.SourceSecurityGroupId;
    rule.CidrIp = '10.40.0.0/16';
    expect(findings(t)).toEqual([
      { path: 'public subnet → DB instance', why: `${id} admits 10.40.0.0/16, which covers a public subnet` },
    ]);
  });

  it('reports an inline ingress rule from ::/0', () => {
    const t = copy('dev');
    const [id, group] = resourcesOf(t, 'AWS::EC2::SecurityGroup').find(
      ([, r]) => r.Properties?.GroupDescription === 'Herald RDS Proxy',
    ) as [string, { Properties: Record<string, unknown> }];
    group.Properties.SecurityGroupIngress = [
      { IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432, CidrIpv6: '::/0' },
    ];
    expect(paths(findings(t))).toEqual(['open to the world', 'public subnet → RDS Proxy']);
    expect(findings(t)[0]?.why).toContain(`${id} inline`);
  });

  it('reports the database in a public subnet', () => {
    const t = copy('dev');
    const [, subnetGroup] = resourcesOf(t, 'AWS::RDS::DBSubnetGroup')[0] as [
      string,
      { Properties: Record<string, unknown> },
    ];
    const graph = NetworkGraph.fromTemplate(template('dev'));
    subnetGroup.Properties.SubnetIds = graph.publicSubnets().map((s) => ({ Ref: s.id }));
    expect(paths(findings(t))).toContain('public subnet → DB instance');
  });

  it('reports every internet path of every VPC function when the private subnets lose their NAT route', () => {
    const t = copy('dev');
    for (const [id, r] of resourcesOf(t, 'AWS::EC2::Route'))
      if (r.Properties?.NatGatewayId) delete t.Resources[id];
    const found = paths(findings(t));
    for (const fn of VPC_FUNCTIONS) for (const [host] of INTERNET) expect(found).toContain(`${fn} → ${host}`);
    // The endpoints still carry the AWS APIs.
    expect(found.filter((p) => AWS_APIS.some((s) => p.endsWith(`→ ${s}`)))).toEqual([]);
  });

  it('reports SQS and Secrets Manager when the endpoints’ group stops admitting the functions, though NAT is there: private DNS sends those names to the endpoint', () => {
    const t = copy('dev');
    const [id] = resourcesOf(t, 'AWS::EC2::SecurityGroupIngress').find(
      ([, r]) => r.Properties?.Description === 'functions to AWS APIs',
    ) as [string, unknown];
    delete t.Resources[id];
    const found = findings(t);
    expect(new Set(found.map((f) => f.path.split(' → ')[1]))).toEqual(new Set(['sqs', 'secretsmanager']));
    expect(found).toHaveLength(VPC_FUNCTIONS.length * 2);
  });

  it('reports @connections when an execute-api endpoint with private DNS would capture its name', () => {
    const t = copy('dev');
    const sqs = resourcesOf(t, 'AWS::EC2::VPCEndpoint').find(([, r]) =>
      JSON.stringify(r.Properties?.ServiceName).includes('.sqs'),
    )?.[1];
    (t.Resources as Record<string, unknown>).ExecuteApiEndpoint = {
      ...structuredClone(sqs),
      Properties: {
        ...structuredClone(sqs?.Properties),
        ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.execute-api']] },
      },
    };
    expect(new Set(paths(findings(t)).map((p) => p.split(' → ')[1]))).toEqual(new Set(['@connections']));
  });

  it('reports the rotation function when the endpoints’ group stops admitting it', () => {
    const t = copy('dev');
    const [id] = resourcesOf(t, 'AWS::EC2::SecurityGroupIngress').find(
      ([, r]) => r.Properties?.Description === 'rotation to Secrets Manager',
    ) as [string, unknown];
    delete t.Resources[id];
    expect(paths(findings(t))).toEqual(['rotation function → secretsmanager']);
  });

  it('refuses a template with a network ACL, which it does not model', () => {
    const t = copy('dev');
    (t.Resources as Record<string, unknown>).Acl = { Type: 'AWS::EC2::NetworkAcl', Properties: {} };
    expect(() => NetworkGraph.fromTemplate(t)).toThrow(NotModelledError);
  });
});
