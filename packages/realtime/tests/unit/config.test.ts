import { describe, expect, it } from 'vitest';
import { isAllowedJwksUri, loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

const VALID = {
  AWS_REGION: 'eu-west-1',
  HERALD_CONNECTIONS_TABLE: 'herald-connections',
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
      dynamodbEndpoint: undefined,
      wsManagementEndpoint: undefined,
      jwt: { issuer: VALID.HERALD_JWT_ISSUER, audience: 'app-client-1', jwksUri: VALID.HERALD_JWKS_URI },
      connectionTtlSeconds: 10_800,
    });
  });

  it('reads the local stack’s endpoint overrides and loopback JWKS', () => {
    const config = loadConfig({
      ...VALID,
      HERALD_DYNAMODB_ENDPOINT: 'http://127.0.0.1:45001',
      HERALD_WS_MANAGEMENT_ENDPOINT: 'http://127.0.0.1:45002/local',
      HERALD_JWT_ISSUER: 'http://127.0.0.1:45003',
      HERALD_JWKS_URI: 'http://127.0.0.1:45003/.well-known/jwks.json',
      HERALD_CONNECTION_TTL_SECONDS: '7200',
    });
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
      'HERALD_JWT_ISSUER',
      'HERALD_JWT_AUDIENCE',
      'HERALD_JWKS_URI',
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
