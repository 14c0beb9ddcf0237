import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayProxyWebsocketEventV2,
  APIGatewayRequestAuthorizerEvent,
  Handler,
} from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynamoConnectionStore } from '../../src/adapters/dynamo-connection-store.ts';
import { JwtTokenVerifier } from '../../src/adapters/jwt-token-verifier.ts';
import { getDeps, resetDeps } from '../../src/compose.ts';
import { ConfigError } from '../../src/errors.ts';
import type {
  CognitoHttpEvent,
  WsAuthorizerEvent,
  WsConnectEvent,
  WsMessageEvent,
} from '../../src/events.ts';
import * as httpWhoami from '../../src/handlers/http-whoami.ts';
import * as wsAuthorize from '../../src/handlers/ws-authorize.ts';
import * as wsConnect from '../../src/handlers/ws-connect.ts';
import * as wsDefault from '../../src/handlers/ws-default.ts';
import * as wsDisconnect from '../../src/handlers/ws-disconnect.ts';

const ENV = {
  AWS_REGION: 'eu-west-1',
  HERALD_CONNECTIONS_TABLE: 'test-connections',
  HERALD_DYNAMODB_ENDPOINT: 'http://127.0.0.1:1',
  HERALD_JWT_ISSUER: 'http://127.0.0.1:2',
  HERALD_JWT_AUDIENCE: 'client',
  HERALD_JWKS_URI: 'http://127.0.0.1:2/.well-known/jwks.json',
};

function clearEnv(): void {
  for (const name of [
    ...Object.keys(ENV),
    'HERALD_CONNECTION_TTL_SECONDS',
    'HERALD_WS_MANAGEMENT_ENDPOINT',
  ]) {
    vi.stubEnv(name, undefined);
  }
}

afterEach(() => {
  vi.unstubAllEnvs();
  resetDeps();
});

describe('compose', () => {
  it('lets the handler modules load without any environment (config is read at first use)', () => {
    // The static imports above ran with whatever env the test runner has; nothing threw.
    for (const module of [wsAuthorize, wsConnect, wsDisconnect, wsDefault, httpWhoami]) {
      expect(typeof module.handler).toBe('function');
    }
  });

  it('fails the first invocation with a ConfigError naming the missing variables', async () => {
    clearEnv();
    resetDeps();
    const error = await wsDisconnect
      .handler({ requestContext: { connectionId: 'c' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variables).toContain('HERALD_CONNECTIONS_TABLE');
  });

  it('reads the environment set after import and builds the deps once', () => {
    clearEnv();
    for (const [name, value] of Object.entries(ENV)) vi.stubEnv(name, value);
    resetDeps();
    const deps = getDeps();
    expect(deps.connections).toBeInstanceOf(DynamoConnectionStore);
    expect(deps.tokens).toBeInstanceOf(JwtTokenVerifier);
    expect(deps.connectionTtlSeconds).toBe(10_800);
    expect(getDeps()).toBe(deps);
  });
});

// Compile-time: the real aws-lambda event types fit the handlers, and their answers fit what
// API Gateway expects. `tsc` fails on a mismatch.
export const typeChecks = {
  authorize: wsAuthorize.handler satisfies Handler<
    APIGatewayRequestAuthorizerEvent,
    APIGatewayAuthorizerResult
  >,
  whoami: httpWhoami.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  events: {
    authorizer: (event: APIGatewayRequestAuthorizerEvent): WsAuthorizerEvent => event,
    connect: (event: APIGatewayProxyWebsocketEventV2): WsConnectEvent => event,
    message: (event: APIGatewayProxyWebsocketEventV2): WsMessageEvent => event,
    http: (event: APIGatewayProxyEvent): CognitoHttpEvent => event,
  },
};
