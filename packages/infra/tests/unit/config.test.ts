import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS, type HeraldConfig, resolveConfig, validateConfig } from '../../lib/config.ts';

describe('resolveConfig', () => {
  it('returns the named environment', () => {
    expect(resolveConfig('dev')).toEqual(ENVIRONMENTS.dev);
    expect(resolveConfig('prod')).toEqual(ENVIRONMENTS.prod);
  });

  it('refuses an unknown environment, naming the known ones', () => {
    expect(() => resolveConfig('staging')).toThrow('unknown environment "staging": use one of dev, prod');
    expect(() => resolveConfig('toString')).toThrow(/unknown environment/);
  });

  it('takes browser origins, the SRV-GW URL and an alarm e-mail from context', () => {
    const config = resolveConfig('prod', {
      allowedOrigins: 'https://app.example.com, https://admin.example.com',
      srvgwUrl: 'https://srv-gw.example.com',
      alarmEmail: 'oncall@example.com',
    });
    expect(config.allowedOrigins).toEqual(['https://app.example.com', 'https://admin.example.com']);
    expect(config.srvgwUrl).toBe('https://srv-gw.example.com');
    expect(config.alarmEmail).toBe('oncall@example.com');
  });

  it('makes dev lean on request: no RDS Proxy, no interface endpoints, one NAT gateway, same stack', () => {
    const lean = resolveConfig('dev', { profile: 'lean' });
    expect(lean.profile).toBe('lean');
    expect(lean.database.proxy).toBe(false);
    expect(lean.network).toEqual({ ...ENVIRONMENTS.dev.network, natGateways: 1, interfaceEndpoints: [] });
    expect(lean.stackName).toBe(ENVIRONMENTS.dev.stackName);
    expect(resolveConfig('dev', { profile: 'standard' })).toEqual(ENVIRONMENTS.dev);
  });

  it('keeps prod off the lean profile and refuses an unknown profile', () => {
    expect(() => resolveConfig('prod', { profile: 'lean' })).toThrow(/for dev only/);
    expect(() => resolveConfig('dev', { profile: 'cheap' })).toThrow(
      'unknown profile "cheap": use one of standard, lean',
    );
  });

  it('refuses an origin with a path and a plain-http SRV-GW', () => {
    expect(() => resolveConfig('dev', { allowedOrigins: 'https://app.example.com/' })).toThrow(
      /not an origin/,
    );
    expect(() => resolveConfig('dev', { srvgwUrl: 'http://srv-gw.example.com' })).toThrow(/must be https/);
  });
});

describe('validateConfig', () => {
  const base = ENVIRONMENTS.dev;
  const broken = (change: Partial<HeraldConfig>) => () => validateConfig({ ...base, ...change });

  it('holds for both environments', () => {
    for (const config of Object.values(ENVIRONMENTS)) expect(() => validateConfig(config)).not.toThrow();
  });

  it('keeps uploads in Glacier for its 90-day minimum before they expire', () => {
    expect(
      broken({ storage: { ...base.storage, uploadsToGlacierAfterDays: 30, uploadsExpireAfterDays: 60 } }),
    ).toThrow(/uploadsToGlacierAfterDays \+ 90/);
  });

  it('keeps RDS Proxy, in the isolated subnets, with its way to Secrets Manager', () => {
    expect(broken({ network: { ...base.network, interfaceEndpoints: ['sqs'] } })).toThrow(
      /needs the secretsmanager interface endpoint/,
    );
  });

  it('keeps connection items past API Gateway’s 2-hour connection limit', () => {
    expect(broken({ connectionTtlSeconds: 3600 })).toThrow(/at least 7200/);
  });

  it('sets prod up for an AZ failure and for keeping its data', () => {
    const { prod } = ENVIRONMENTS;
    expect(prod.database.multiAz).toBe(true);
    expect(prod.database.deletionProtection).toBe(true);
    expect(prod.retainData).toBe(true);
    expect(prod.network.natGateways).toBeGreaterThanOrEqual(2);
    expect(prod.auth.mfa).toBe('required');
  });
});
