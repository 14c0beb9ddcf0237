import { beforeAll, describe, expect, it } from 'vitest';
import { type CfnResourceJson, resourcesOf, type Synthesized, synthesize } from './synth.ts';

// Defects a careful read of the synthesized template found, each of which would break a real
// deployment while every local test passed. One test per defect, named after what AWS does.

let dev: Synthesized;
let prod: Synthesized;

beforeAll(() => {
  dev = synthesize('dev');
  prod = synthesize('prod');
}, 180_000);

const props = (r: CfnResourceJson | undefined) => r?.Properties ?? {};
const groupIdOf = (value: unknown): string | undefined =>
  (value as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];

/** Logical id of a security group by its description. */
function securityGroup(s: Synthesized, description: string): string {
  const found = resourcesOf(s.json, 'AWS::EC2::SecurityGroup').filter(
    ([, r]) => props(r).GroupDescription === description,
  );
  expect(found, description).toHaveLength(1);
  return (found[0] as [string, CfnResourceJson])[0];
}

/** Whether `target` admits `source` on TCP `port`, inline or as a separate ingress resource. */
function admits(s: Synthesized, target: string, source: string, port: number): boolean {
  const rules: Record<string, unknown>[] = [
    ...(
      (props(s.json.Resources[target]).SecurityGroupIngress as Record<string, unknown>[] | undefined) ?? []
    ).map((rule) => ({ ...rule, GroupId: { 'Fn::GetAtt': [target, 'GroupId'] } })),
    ...resourcesOf(s.json, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => props(r)),
  ];
  return rules.some(
    (rule) =>
      groupIdOf(rule.GroupId) === target &&
      groupIdOf(rule.SourceSecurityGroupId) === source &&
      rule.IpProtocol === 'tcp' &&
      Number(rule.FromPort) <= port &&
      Number(rule.ToPort) >= port,
  );
}

describe('RDS Proxy reaches Secrets Manager', () => {
  // The proxy sits in isolated subnets (no NAT) and reads its database secret from Secrets
  // Manager: the only way there is the VPC interface endpoint, so the endpoint's group must admit
  // the proxy's group on 443 (the proxy's egress rule alone opens one side of the path).
  it('the interface endpoints admit the proxy on 443, and the proxy may send there', () => {
    const proxy = securityGroup(dev, 'Herald RDS Proxy');
    const endpoints = securityGroup(dev, 'Herald VPC interface endpoints');
    expect(admits(dev, endpoints, proxy, 443)).toBe(true);
    const egress = resourcesOf(dev.json, 'AWS::EC2::SecurityGroupEgress').map(([, r]) => props(r));
    expect(
      egress.some(
        (e) =>
          groupIdOf(e.GroupId) === proxy &&
          groupIdOf(e.DestinationSecurityGroupId) === endpoints &&
          e.FromPort === 443,
      ),
    ).toBe(true);
  });
});

describe('two environments in one account', () => {
  // DBProxyName must be unique per account and region; a fixed name makes the second stack fail.
  it('gives each stack its own RDS Proxy name', () => {
    const name = (s: Synthesized) =>
      String(props(resourcesOf(s.json, 'AWS::RDS::DBProxy')[0]?.[1]).DBProxyName);
    expect(name(dev)).not.toBe(name(prod));
    expect(name(dev)).toContain('HeraldDev');
    expect(name(prod)).toContain('HeraldProd');
  });
});

describe('API Gateway account settings', () => {
  // A stage that enables logging fails to create until the account's CloudWatch Logs role is
  // set ("CloudWatch Logs role ARN must be set in account settings to enable logging"); CDK
  // orders only REST stages after AWS::ApiGateway::Account, never WebSocket (apigatewayv2) ones.
  it('creates the WebSocket stage after the account-level CloudWatch role', () => {
    const [account] = resourcesOf(dev.json, 'AWS::ApiGateway::Account');
    expect(account).toBeDefined();
    for (const [, stage] of resourcesOf(dev.json, 'AWS::ApiGatewayV2::Stage')) {
      const dependsOn = [stage.DependsOn ?? []].flat();
      expect(dependsOn).toContain(account?.[0]);
    }
  });
});

describe('Lambda runtime', () => {
  // Node.js 20 reached end of support on Lambda on 30 April 2026 and the AWS SDK's releases from
  // January 2027 need Node ≥ 22: every Herald function runs on nodejs24.x (supported to 2028).
  it('runs every Herald function on nodejs24.x', () => {
    const runtimes = resourcesOf(dev.json, 'AWS::Lambda::Function')
      .filter(([, r]) => String(props(r).Description ?? '').match(/^(ingest|realtime|files)\/|migrations/))
      .map(([, r]) => props(r).Runtime);
    expect(runtimes.length).toBeGreaterThan(10);
    expect(new Set(runtimes)).toEqual(new Set(['nodejs24.x']));
  });

  // Since Node.js 20 Lambda no longer trusts the Amazon CAs (RDS's among them) by default: a
  // function verifying the database's certificate needs NODE_EXTRA_CA_CERTS.
  it('lets every function in the database security group trust the RDS certificate authority', () => {
    const clients = securityGroup(dev, 'Herald functions that use PostgreSQL');
    const inVpc = resourcesOf(dev.json, 'AWS::Lambda::Function').filter(([, r]) =>
      JSON.stringify(props(r).VpcConfig ?? {}).includes(clients),
    );
    expect(inVpc.length).toBeGreaterThan(0);
    for (const [id, r] of inVpc) {
      const env =
        (props(r).Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      expect(env.NODE_EXTRA_CA_CERTS, id).toBe('/var/runtime/ca-cert.pem');
    }
  });
});

describe('the ingest worker streams in bounded memory', () => {
  // Issue 17: the worker's peak must not follow the file (185 MB at 1 GiB with the defaults, 124–126
  // MB with these; `pnpm bench upload-memory`, HeraldFunctionProps.streaming).
  it('caps V8 semi-spaces and glibc arenas in the worker, keeps source maps, and leaves the other functions at the defaults', () => {
    expect(environmentOf(dev, 'ingest/sqs-ingest')).toMatchObject({
      NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=2',
      MALLOC_ARENA_MAX: '2',
      MALLOC_MMAP_THRESHOLD_: '65536',
    });
    const api = environmentOf(dev, 'ingest/http-list-jobs');
    expect(api.NODE_OPTIONS).toBe('--enable-source-maps');
    expect(api).not.toHaveProperty('MALLOC_ARENA_MAX');
  });
});

/** A function's environment by its description (`ingest/sqs-ingest`). */
function environmentOf(s: Synthesized, description: string): Record<string, unknown> {
  const found = resourcesOf(s.json, 'AWS::Lambda::Function').filter(
    ([, r]) => props(r).Description === description,
  );
  expect(found, description).toHaveLength(1);
  return ((props(found[0]?.[1]).Environment as { Variables?: Record<string, unknown> } | undefined)
    ?.Variables ?? {}) as Record<string, unknown>;
}

/** The logical ids a value mentions through Ref / Fn::GetAtt, with the attribute. */
const mentions = (value: unknown): string[] =>
  [...JSON.stringify(value).matchAll(/"Fn::GetAtt":\["([^"]+)","([^"]+)"\]|"Ref":"([^"]+)"/g)].map(
    (m) => m[3] ?? `${m[1]}.${m[2]}`,
  );

describe('database endpoints', () => {
  const proxyId = () => resourcesOf(dev.json, 'AWS::RDS::DBProxy')[0]?.[0];
  const instanceId = () => resourcesOf(dev.json, 'AWS::RDS::DBInstance')[0]?.[0];

  // A COPY holds one connection for a whole load and pins a proxy session; RDS Proxy is not
  // confirmed for PostgreSQL 18 nor to relay the NOTICE that reports skipped rows (ADR 006): the
  // worker connects to the instance itself, verified against the RDS CA.
  it('connects the ingest worker and the migrator to the DB instance, the API handlers to RDS Proxy', () => {
    const worker = mentions(environmentOf(dev, 'ingest/sqs-ingest').HERALD_DATABASE_URL);
    expect(worker).toContain(`${instanceId()}.Endpoint.Address`);
    expect(worker).not.toContain(`${proxyId()}.Endpoint`);
    const migrator = mentions(
      environmentOf(dev, 'applies database migrations on deploy').HERALD_DATABASE_URL,
    );
    expect(migrator).toContain(`${instanceId()}.Endpoint.Address`);
    const api = mentions(environmentOf(dev, 'ingest/http-list-jobs').HERALD_DATABASE_URL);
    expect(api).toContain(`${proxyId()}.Endpoint`);
  });

  // The port comes from the template, never a literal: the instance's, which is the engine's
  // default that RDS Proxy also listens on for PostgreSQL.
  it("takes every database port from the instance and keeps the instance on 5432, the proxy's port", () => {
    for (const description of [
      'ingest/sqs-ingest',
      'ingest/http-list-jobs',
      'applies database migrations on deploy',
    ]) {
      const url = environmentOf(dev, description).HERALD_DATABASE_URL;
      expect(mentions(url), description).toContain(`${instanceId()}.Endpoint.Port`);
      expect(JSON.stringify(url), description).toContain('sslmode=verify-full');
    }
    expect(String(props(dev.json.Resources[instanceId() ?? '']).Port)).toBe('5432');
  });

  it('admits the database clients to the instance on 5432 (the worker and the migrator connect directly)', () => {
    const clients = securityGroup(dev, 'Herald functions that use PostgreSQL');
    const database = securityGroup(dev, 'Herald PostgreSQL instance');
    expect(admits(dev, database, clients, 5432)).toBe(true);
  });
});

describe('CORS of what API Gateway answers itself', () => {
  const gatewayResponses = (s: Synthesized) =>
    resourcesOf(s.json, 'AWS::ApiGateway::GatewayResponse').map(([, r]) => props(r));

  // Gateway responses (the authorizer's 401, throttling, unknown routes, Lambda failures) never
  // reach a handler: their CORS headers are the API's. `*` would admit every origin; a list
  // cannot be tested by a static mapping, so several origins echo the request's (these bodies
  // are fixed error envelopes, never user data) and one origin is stated as it is.
  it('never allows every origin, and names the allowed one or echoes the request origin', () => {
    for (const response of gatewayResponses(dev)) {
      const headers = response.ResponseParameters as Record<string, string>;
      expect(
        headers['gatewayresponse.header.Access-Control-Allow-Origin'],
        String(response.ResponseType),
      ).toBe('method.request.header.Origin');
      expect(headers['gatewayresponse.header.Vary']).toBe("'Origin'");
    }
    const single = synthesize('dev', { allowedOrigins: 'https://app.example.com' });
    for (const response of gatewayResponses(single)) {
      const headers = response.ResponseParameters as Record<string, string>;
      expect(headers['gatewayresponse.header.Access-Control-Allow-Origin']).toBe("'https://app.example.com'");
    }
    // prod allows no origin unless one is configured: no CORS header at all.
    for (const response of gatewayResponses(prod)) {
      expect(JSON.stringify(response.ResponseParameters ?? {})).not.toContain('Access-Control-Allow-Origin');
    }
  });

  it('answers a Lambda failure and an integration timeout with the Herald envelope, readable cross-origin', () => {
    const byType = new Map(gatewayResponses(dev).map((r) => [r.ResponseType, r]));
    const body = (r: Record<string, unknown> | undefined) =>
      JSON.parse(
        String((r?.ResponseTemplates as Record<string, string> | undefined)?.['application/json']),
      ) as unknown;
    const fault = byType.get('DEFAULT_5XX');
    expect(body(fault)).toMatchObject({ code: 'INTERNAL' });
    expect(fault?.StatusCode).toBeUndefined();
    const timeout = byType.get('INTEGRATION_TIMEOUT');
    expect(timeout?.StatusCode).toBe('504');
    expect(body(timeout)).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
  });

  // The handlers add CORS to their own responses (a proxy integration returns exactly what the
  // Lambda returns), from the allowed origins the template gives them.
  it('gives the REST handlers the allowed origins', () => {
    expect(environmentOf(dev, 'ingest/http-list-jobs').HERALD_ALLOWED_ORIGINS).toBe(
      'http://localhost:5173,http://127.0.0.1:5173',
    );
    expect(environmentOf(dev, 'realtime/http-whoami').HERALD_ALLOWED_ORIGINS).toBe(
      'http://localhost:5173,http://127.0.0.1:5173',
    );
  });
});

describe('time budgets fit the function timeouts', () => {
  // A budget a handler spends inside its invocation must end before Lambda kills it, or the
  // caller gets API Gateway's 502 instead of the handler's own answer (202 + file.ready).
  it('states every *_BUDGET_MS a function has, and each is below its timeout', () => {
    const budgets = resourcesOf(dev.json, 'AWS::Lambda::Function').flatMap(([id, r]) => {
      const env =
        (props(r).Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      return Object.entries(env)
        .filter(([name]) => name.endsWith('_BUDGET_MS'))
        .map(([name, value]) => ({
          id,
          name,
          budgetMs: Number(value),
          timeoutMs: Number(props(r).Timeout) * 1000,
        }));
    });
    const link = budgets.find((b) => b.name === 'HERALD_FILE_LINK_BUDGET_MS');
    expect(link, 'the file link handler is given its budget').toBeDefined();
    for (const b of budgets) expect(b.budgetMs, `${b.id} ${b.name}`).toBeLessThan(b.timeoutMs);
  });
});
