/**
 * The parts of API Gateway WebSocket and SNS events the realtime handlers read, as structural
 * subsets: the real `aws-lambda` event types and the local gateway's events both fit them, and
 * unit tests build them without filling in fields no handler looks at. REST events are
 * `@herald/runtime`'s `RestProxyEvent`.
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
  readonly requestContext?: {
    readonly connectionId?: string;
    readonly requestId?: string;
    /** The client's address as API Gateway saw it (the per-IP `$connect` limit counts by it). */
    readonly identity?: { readonly sourceIp?: string } | null;
  } | null;
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
