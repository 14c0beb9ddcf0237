import { ConfigError } from '@herald/runtime';
import { describe, expect, it } from 'vitest';
import { isAllowedJwksUri, loadConfig, loadPublisherConfig } from '../../src/config.ts';

const VALID = {
  AWS_REGION: 'eu-west-1',
  HERALD_CONNECTIONS_TABLE: 'herald-connections',
  HERALD_TICKETS_TABLE: 'herald-tickets',
  HERALD_DEVICES_TABLE: 'herald-devices',
  HERALD_JOB_EVENTS_TABLE: 'herald-job-events',
  HERALD_WS_MANAGEMENT_ENDPOINT: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
  HERALD_FCM_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:herald/fcm',
  HERALD_JWT_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test',
  HERALD_JWT_AUDIENCE: 'app-client-1',
  HERALD_JWKS_URI: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Test/.well-known/jwks.json',
};

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('reads a minimal AWS configuration with defaults', () => {
    expect(loadConfig(VALID)).toEqual({
      region: 'eu-west-1',
      logLevel: 'info',
      connectionsTable: 'herald-connections',
      ticketsTable: 'herald-tickets',
      devicesTable: 'herald-devices',
      jobEventsTable: 'herald-job-events',
      dynamodbEndpoint: undefined,
      wsManagementEndpoint: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
      jwt: { issuer: VALID.HERALD_JWT_ISSUER, audience: 'app-client-1', jwksUri: VALID.HERALD_JWKS_URI },
      connectionTtlSeconds: 10_800,
      jobEventTtlSeconds: 86_400,
      maxDevicesPerUser: 10,
      publishConcurrency: 32,
      push: { provider: 'fcm-secret', secretId: VALID.HERALD_FCM_SECRET_ID },
      allowedOrigins: [],
    });
    expect(
      loadConfig({ ...VALID, HERALD_ALLOWED_ORIGINS: 'https://app.example.com' }).allowedOrigins,
    ).toEqual(['https://app.example.com']);
  });

  it('reads the per-IP $connect limit only with both its table and its rate', () => {
    expect(loadConfig(VALID).connectLimit).toBeUndefined();
    expect(
      loadConfig({ ...VALID, HERALD_CONNECT_ATTEMPTS_TABLE: 'herald-connect-attempts' }).connectLimit,
    ).toBe(undefined);
    expect(
      loadConfig({
        ...VALID,
        HERALD_CONNECT_ATTEMPTS_TABLE: 'herald-connect-attempts',
        HERALD_CONNECT_LIMIT_PER_MINUTE: '120',
      }).connectLimit,
    ).toEqual({ table: 'herald-connect-attempts', perMinute: 120 });
    expect(() => loadConfig({ ...VALID, HERALD_CONNECT_LIMIT_PER_MINUTE: '0' })).toThrow(
      /HERALD_CONNECT_LIMIT_PER_MINUTE/,
    );
  });

  it('reads the local stack’s endpoint overrides and loopback JWKS', () => {
    const config = loadConfig({
      ...VALID,
      HERALD_DYNAMODB_ENDPOINT: 'http://127.0.0.1:45001',
      HERALD_WS_MANAGEMENT_ENDPOINT: 'http://127.0.0.1:45002/local',
      HERALD_JWT_ISSUER: 'http://127.0.0.1:45003',
      HERALD_JWKS_URI: 'http://127.0.0.1:45003/.well-known/jwks.json',
      HERALD_CONNECTION_TTL_SECONDS: '7200',
      HERALD_FCM_SECRET_ID: undefined,
      HERALD_PUSH_OUTBOX_URL: 'http://127.0.0.1:45004/_local/pushes',
    });
    expect(config.push).toEqual({ provider: 'outbox', outboxUrl: 'http://127.0.0.1:45004/_local/pushes' });
    expect(config.dynamodbEndpoint).toBe('http://127.0.0.1:45001');
    expect(config.wsManagementEndpoint).toBe('http://127.0.0.1:45002/local');
    expect(config.jwt.jwksUri).toBe('http://127.0.0.1:45003/.well-known/jwks.json');
    expect(config.connectionTtlSeconds).toBe(7200);
  });

  it('reads the log level and refuses an unknown one', () => {
    expect(loadConfig({ ...VALID, HERALD_LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
    expect(configError({ ...VALID, HERALD_LOG_LEVEL: 'loud' }).variables).toEqual(['HERALD_LOG_LEVEL']);
  });

  it('returns a frozen object', () => {
    const config = loadConfig(VALID);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.jwt)).toBe(true);
  });

  it('names every missing variable', () => {
    const error = configError({});
    expect(error.variables).toEqual([
      'AWS_REGION',
      'HERALD_CONNECTIONS_TABLE',
      'HERALD_TICKETS_TABLE',
      'HERALD_DEVICES_TABLE',
      'HERALD_JOB_EVENTS_TABLE',
      'HERALD_WS_MANAGEMENT_ENDPOINT',
      'HERALD_JWT_ISSUER',
      'HERALD_JWT_AUDIENCE',
      'HERALD_JWKS_URI',
      'HERALD_PUSH_OUTBOX_URL',
    ]);
    expect(error.message).toContain('HERALD_JWKS_URI is required');
  });

  it('treats an empty value as unset', () => {
    expect(configError({ ...VALID, HERALD_CONNECTIONS_TABLE: '' }).variables).toEqual([
      'HERALD_CONNECTIONS_TABLE',
    ]);
    expect(loadConfig({ ...VALID, HERALD_DYNAMODB_ENDPOINT: '' }).dynamodbEndpoint).toBeUndefined();
  });

  it('refuses a plain-http JWKS URI on a non-loopback host, saying why', () => {
    const error = configError({ ...VALID, HERALD_JWKS_URI: 'http://idp.example.com/.well-known/jwks.json' });
    expect(error.variables).toEqual(['HERALD_JWKS_URI']);
    expect(error.message).toMatch(/HERALD_JWKS_URI must be an https URL \(http is allowed only for loopback/);
  });

  it.each(['7199', '0', '-1', '3h', '7200.5'])('refuses HERALD_CONNECTION_TTL_SECONDS=%s', (value) => {
    const error = configError({ ...VALID, HERALD_CONNECTION_TTL_SECONDS: value });
    expect(error.variables).toEqual(['HERALD_CONNECTION_TTL_SECONDS']);
  });

  it('explains the 2-hour floor of the connection TTL', () => {
    expect(configError({ ...VALID, HERALD_CONNECTION_TTL_SECONDS: '3600' }).message).toContain(
      'at least 7200',
    );
  });

  it('refuses an endpoint override that is not an http(s) URL', () => {
    const error = configError({ ...VALID, HERALD_DYNAMODB_ENDPOINT: '127.0.0.1:8000' });
    expect(error.variables).toEqual(['HERALD_DYNAMODB_ENDPOINT']);
  });
  it('reads the FCM service account JSON and never echoes it in an error', () => {
    const account = {
      project_id: 'p-1',
      client_email: 'fcm@p-1.iam',
      private_key: '-----BEGIN PRIVATE KEY-----x',
    };
    const env = { ...VALID, HERALD_FCM_SECRET_ID: undefined };
    const config = loadConfig({ ...env, HERALD_FCM_SERVICE_ACCOUNT_JSON: JSON.stringify(account) });
    expect(config.push).toEqual({
      provider: 'fcm',
      serviceAccount: {
        projectId: 'p-1',
        clientEmail: 'fcm@p-1.iam',
        privateKey: '-----BEGIN PRIVATE KEY-----x',
      },
    });
    for (const bad of ['{"private_key":"-----BEGIN PRIVATE KEY-----y"}', 'PRIVATE KEY-----z']) {
      const error = configError({ ...env, HERALD_FCM_SERVICE_ACCOUNT_JSON: bad });
      expect(error.variables).toEqual(['HERALD_FCM_SERVICE_ACCOUNT_JSON']);
      expect(error.message).not.toContain('PRIVATE KEY');
    }
  });

  it('wants one FCM variable, or the local push outbox', () => {
    const none = configError({ ...VALID, HERALD_FCM_SECRET_ID: undefined });
    expect(none.variables).toEqual(['HERALD_PUSH_OUTBOX_URL']);
    expect(none.message).toContain('HERALD_FCM_SERVICE_ACCOUNT_JSON, HERALD_FCM_SECRET_ID is required');
    const two = configError({
      ...VALID,
      HERALD_FCM_SERVICE_ACCOUNT_JSON: JSON.stringify({
        project_id: 'p',
        client_email: 'e@p',
        private_key: '-----BEGIN PRIVATE KEY-----x',
      }),
    });
    expect(two.message).toContain('HERALD_FCM_SERVICE_ACCOUNT_JSON conflicts with HERALD_FCM_SECRET_ID');
  });

  // The local stack runs the template's functions (which name the FCM secret) and adds the outbox:
  // no local server can stand in for FCM's host, so the outbox wins — on loopback only, so a
  // deployment can never send its pushes to it.
  it('lets the local push outbox stand in for FCM, and only on a loopback address', () => {
    const local = loadConfig({ ...VALID, HERALD_PUSH_OUTBOX_URL: 'http://127.0.0.1:4100/_local/pushes' });
    expect(local.push).toEqual({ provider: 'outbox', outboxUrl: 'http://127.0.0.1:4100/_local/pushes' });
    const remote = configError({ ...VALID, HERALD_PUSH_OUTBOX_URL: 'https://pushes.example.com/collect' });
    expect(remote.variables).toEqual(['HERALD_PUSH_OUTBOX_URL']);
    expect(remote.message).toContain('loopback');
  });

  it.each([
    ['HERALD_JOB_EVENT_TTL_SECONDS', '60'],
    ['HERALD_MAX_DEVICES_PER_USER', '0'],
    ['HERALD_PUBLISH_CONCURRENCY', '1000'],
    ['HERALD_PUBLISH_CONCURRENCY', 'many'],
  ])('refuses %s=%s', (name, value) => {
    expect(configError({ ...VALID, [name]: value }).variables).toEqual([name]);
  });
});

describe('loadPublisherConfig', () => {
  it('needs only the publisher’s variables (no JWT, no tickets table)', () => {
    const { HERALD_JWT_ISSUER, HERALD_JWT_AUDIENCE, HERALD_JWKS_URI, HERALD_TICKETS_TABLE, ...publisherEnv } =
      VALID;
    const config = loadPublisherConfig({ ...publisherEnv, HERALD_PUBLISH_CONCURRENCY: '8' });
    expect(config).toMatchObject({ connectionsTable: 'herald-connections', publishConcurrency: 8 });
    expect(config).not.toHaveProperty('jwt');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names the missing publisher variables', () => {
    expect(() => loadPublisherConfig({})).toThrow(ConfigError);
    try {
      loadPublisherConfig({ AWS_REGION: 'x' });
    } catch (error) {
      expect((error as ConfigError).variables).toEqual([
        'HERALD_CONNECTIONS_TABLE',
        'HERALD_DEVICES_TABLE',
        'HERALD_JOB_EVENTS_TABLE',
        'HERALD_WS_MANAGEMENT_ENDPOINT',
        'HERALD_PUSH_OUTBOX_URL',
      ]);
    }
  });
});

describe('isAllowedJwksUri', () => {
  it.each([
    ['https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json', true],
    ['http://127.0.0.1:4100/.well-known/jwks.json', true],
    ['http://localhost:4100/.well-known/jwks.json', true],
    ['http://[::1]:4100/.well-known/jwks.json', true],
    ['http://idp.example.com/.well-known/jwks.json', false],
    ['http://127.0.0.1.evil.com/.well-known/jwks.json', false],
    ['http://10.0.0.5/.well-known/jwks.json', false],
    ['file:///etc/jwks.json', false],
    ['not a url', false],
  ])('%s → %s', (uri, allowed) => {
    expect(isAllowedJwksUri(uri)).toBe(allowed);
  });
});
