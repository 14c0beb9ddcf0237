/**
 * The parts of API Gateway events the realtime handlers read, as structural subsets: the real
 * `aws-lambda` event types and the local gateway's events both fit them, and unit tests build
 * them without filling in fields no handler looks at.
 */
import type { ConnectRequest } from './core/credentials.ts';
import type { HeaderSource } from './core/headers.ts';

/** `requestContext` of a WebSocket route event. */
export interface WsRequestContext {
  readonly connectionId: string;
  readonly requestId?: string;
  readonly routeKey?: string;
}

/** The `$connect` REQUEST authorizer's event (`type: 'REQUEST'`). */
export interface WsAuthorizerEvent extends ConnectRequest {
  /** The `$connect` method ARN the returned policy must allow. */
  readonly methodArn: string;
  readonly requestContext?: { readonly connectionId?: string; readonly requestId?: string } | null;
}

/** `$connect`, after the authorizer: its `context` arrives as `requestContext.authorizer`. */
export interface WsConnectEvent extends HeaderSource {
  readonly requestContext: WsRequestContext & {
    readonly authorizer?: Readonly<Record<string, unknown>> | null;
  };
}

/** `$disconnect` and `$default`. */
export interface WsMessageEvent {
  readonly requestContext: WsRequestContext;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

/** What a WebSocket route integration answers; `$default` returns `body` to the sender. */
export interface WsResponse {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A REST proxy event behind API Gateway's Cognito user-pool authorizer. */
export interface CognitoHttpEvent {
  readonly requestContext: {
    readonly requestId?: string;
    readonly authorizer?: { readonly claims?: Readonly<Record<string, unknown>> | null } | null;
  };
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  /** URL-decoded path parameters (`{token}`), `null` when the route has none. */
  readonly pathParameters?: Readonly<Record<string, string | undefined>> | null;
}

/** An SNS notification delivered to a subscribed Lambda (`aws-lambda`'s `SNSEvent`, the parts read). */
export interface SnsEvent {
  readonly Records: readonly {
    readonly Sns: {
      readonly MessageId?: string;
      readonly TopicArn?: string;
      readonly Message: string;
    };
  }[];
}

/** A REST proxy integration response. */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A JSON REST response. `no-store`: these bodies are about the signed-in user.
 *
 * @example
 * jsonResponse(401, errorEnvelope('UNAUTHENTICATED'));
 */
export function jsonResponse(statusCode: number, body: unknown): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
}

/**
 * The JSON body of a REST event as text (API Gateway base64-encodes bodies it treats as binary),
 * or `undefined` when there is none.
 */
export function requestBodyText(
  event: Pick<CognitoHttpEvent, 'body' | 'isBase64Encoded'>,
): string | undefined {
  if (event.body === undefined || event.body === null || event.body === '') return undefined;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}
