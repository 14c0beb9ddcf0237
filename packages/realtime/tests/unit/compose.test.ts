import { ConfigError, type RestProxyEvent } from '@herald/runtime';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayProxyWebsocketEventV2,
  APIGatewayRequestAuthorizerEvent,
  Handler,
  SNSEvent,
} from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynamoConnectionStore } from '../../src/adapters/dynamo-connection-store.ts';
import { JwtTokenVerifier } from '../../src/adapters/jwt-token-verifier.ts';
import { OutboxPushSender } from '../../src/adapters/outbox-push-sender.ts';
import { buildPublisherDeps, getDeps, getPublisher, resetDeps } from '../../src/compose.ts';
import { loadPublisherConfig } from '../../src/config.ts';
import type { WsAuthorizerEvent, WsConnectEvent, WsMessageEvent } from '../../src/events.ts';
import * as httpCreateTicket from '../../src/handlers/http-create-ticket.ts';
import * as httpDeleteDevice from '../../src/handlers/http-delete-device.ts';
import * as httpRegisterDevice from '../../src/handlers/http-register-device.ts';
import * as httpWhoami from '../../src/handlers/http-whoami.ts';
import * as snsNotify from '../../src/handlers/sns-notify.ts';
import * as wsAuthorize from '../../src/handlers/ws-authorize.ts';
import * as wsConnect from '../../src/handlers/ws-connect.ts';
import * as wsDefault from '../../src/handlers/ws-default.ts';
import * as wsDisconnect from '../../src/handlers/ws-disconnect.ts';

const ENV = {
  AWS_REGION: 'eu-west-1',
  HERALD_CONNECTIONS_TABLE: 'test-connections',
  HERALD_TICKETS_TABLE: 'test-tickets',
  HERALD_DEVICES_TABLE: 'test-devices',
  HERALD_JOB_EVENTS_TABLE: 'test-job-events',
  HERALD_WS_MANAGEMENT_ENDPOINT: 'http://127.0.0.1:3/local',
  HERALD_PUSH_OUTBOX_URL: 'http://127.0.0.1:4/_local/pushes',
  HERALD_DYNAMODB_ENDPOINT: 'http://127.0.0.1:1',
  HERALD_JWT_ISSUER: 'http://127.0.0.1:2',
  HERALD_JWT_AUDIENCE: 'client',
  HERALD_JWKS_URI: 'http://127.0.0.1:2/.well-known/jwks.json',
  HERALD_TOPIC_GRANTS_TABLE: 'test-topic-grants',
  HERALD_TOPIC_SUBSCRIPTIONS_TABLE: 'test-topic-subscriptions',
  HERALD_TOPIC_EVENTS_TABLE: 'test-topic-events',
  HERALD_TOPIC_FANOUT_QUEUE_URL: 'http://127.0.0.1:5/000000000000/fanout',
};

function clearEnv(): void {
  for (const name of [
    ...Object.keys(ENV),
    'HERALD_CONNECTION_TTL_SECONDS',
    'HERALD_FCM_SERVICE_ACCOUNT_JSON',
    'HERALD_FCM_SECRET_ID',
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
    for (const module of [
      wsAuthorize,
      wsConnect,
      wsDisconnect,
      wsDefault,
      httpWhoami,
      httpCreateTicket,
      httpRegisterDevice,
      httpDeleteDevice,
      snsNotify,
    ]) {
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
    expect(getPublisher()).toBe(deps.publisher);
  });

  it('builds a publisher from the publisher variables alone, once, with the configured push sender', () => {
    clearEnv();
    for (const name of [
      'AWS_REGION',
      'HERALD_CONNECTIONS_TABLE',
      'HERALD_DEVICES_TABLE',
      'HERALD_JOB_EVENTS_TABLE',
    ]) {
      vi.stubEnv(name, ENV[name as keyof typeof ENV]);
    }
    vi.stubEnv('HERALD_WS_MANAGEMENT_ENDPOINT', ENV.HERALD_WS_MANAGEMENT_ENDPOINT);
    vi.stubEnv('HERALD_PUSH_OUTBOX_URL', ENV.HERALD_PUSH_OUTBOX_URL);
    resetDeps();
    const publisher = getPublisher();
    expect(typeof publisher.publish).toBe('function');
    expect(getPublisher()).toBe(publisher);
    expect(buildPublisherDeps(loadPublisherConfig(process.env)).push).toBeInstanceOf(OutboxPushSender);
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
  createTicket: httpCreateTicket.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  registerDevice: httpRegisterDevice.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  deleteDevice: httpDeleteDevice.handler satisfies Handler<APIGatewayProxyEvent, APIGatewayProxyResult>,
  snsNotify: snsNotify.handler satisfies Handler<SNSEvent, void>,
  wsDefault: wsDefault.handler satisfies Handler<APIGatewayProxyWebsocketEventV2, unknown>,
  events: {
    authorizer: (event: APIGatewayRequestAuthorizerEvent): WsAuthorizerEvent => event,
    connect: (event: APIGatewayProxyWebsocketEventV2): WsConnectEvent => event,
    message: (event: APIGatewayProxyWebsocketEventV2): WsMessageEvent => event,
    http: (event: APIGatewayProxyEvent): RestProxyEvent => event,
  },
};
