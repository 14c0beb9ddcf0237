import type { IamCheck } from '../iam/authority.ts';

/** One structured log entry. The gateway never puts tokens, headers or message bodies in it. */
export type GatewayLog = (entry: Record<string, unknown>) => void;

/**
 * Invokes the Lambda function an integration names (`target`: a function's logical id in the
 * template, or any name a test gives it) and resolves with its result.
 */
export type InvokeHandler = (target: string, event: unknown) => Promise<unknown>;

/** A REST method: `AWS::ApiGateway::Method` with a Lambda proxy integration. */
export interface GatewayHttpRoute {
  readonly method: string;
  /** The resource path template, e.g. `/jobs/{id}`; `{name+}` is greedy. */
  readonly path: string;
  /** `cognito`: the Cognito user-pool authorizer guards the method. */
  readonly auth: 'cognito' | 'none';
  readonly target: string;
}

/** The WebSocket API: its `$connect` REQUEST authorizer and routes by route key. */
export interface GatewayWsApi {
  /** The `$connect` REQUEST authorizer's function. */
  readonly authorizer: string;
  readonly routes: readonly { readonly routeKey: string; readonly target: string }[];
}

export interface GatewayRoutes {
  readonly http: readonly GatewayHttpRoute[];
  readonly ws: GatewayWsApi;
}

/** Kinds of answer API Gateway gives by itself, never reaching a Lambda (`ResponseType`). */
export type GatewayResponseType =
  | 'UNAUTHORIZED'
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'REQUEST_TOO_LARGE'
  | 'INTEGRATION_TIMEOUT'
  | 'DEFAULT_5XX';

/** A response API Gateway sends by itself. */
export interface RenderedResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * What the REST API answers without a Lambda: its gateway responses and the `OPTIONS` mock
 * integrations of its resources (the CORS preflights), both as the template declares them.
 */
export interface GatewayResponder {
  render(
    type: GatewayResponseType,
    requestHeaders: Readonly<Record<string, string | string[] | undefined>>,
  ): RenderedResponse;
  /** The headers of the `OPTIONS` mock of `resourcePath`, or undefined when it has none. */
  preflight(
    resourcePath: string,
    requestHeaders: Readonly<Record<string, string | string[] | undefined>>,
  ): Readonly<Record<string, string>> | undefined;
}

export interface LocalGatewayOptions {
  /** The REST methods and the WebSocket API to serve. */
  readonly routes: GatewayRoutes;
  /** Invokes an integration's function. */
  readonly invoke: InvokeHandler;
  /** Cognito user-pool authorizer emulation: verified claims, or `undefined` to refuse (401). */
  readonly verifyToken: (token: string) => Promise<Record<string, unknown> | undefined>;
  /** Gateway responses and preflights. @default API Gateway's defaults, no preflights */
  readonly responses?: GatewayResponder;
  /** The REST API's id (in ARNs and `requestContext.apiId`). @default 'local' */
  readonly restApiId?: string;
  /** The WebSocket API's id. @default 'local' */
  readonly webSocketApiId?: string;
  /** @default 'local' */
  readonly stage?: string;
  /** The WebSocket API's stage, when it differs from `stage`. @default stage */
  readonly webSocketStage?: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @default 0 */
  readonly restPort?: number;
  /** 0 picks a free port. @default 0 */
  readonly wsPort?: number;
  /** API Gateway's WebSocket message quota. @default 131072 (128 KiB) */
  readonly maxMessageBytes?: number;
  /** API Gateway closes a WebSocket after this long without client frames. @default 600000 (10 min) */
  readonly idleTimeoutMs?: number;
  /** API Gateway closes every WebSocket at this age. @default 7200000 (2 h) */
  readonly maxConnectionAgeMs?: number;
  /** @default no logging */
  readonly log?: GatewayLog;
  /** Log every `@connections` call at `debug` (per delivery: verbose runs only). @default false */
  readonly logRequests?: boolean;
  /**
   * Authorizes each `@connections` call (`execute-api:ManageConnections` for its signer).
   * @default every signed call is served
   */
  readonly iam?: IamCheck;
  /**
   * Makes connection ids. Tests pass one to get ids with `+`, `/` and `=` deterministically.
   * @default 11 random bytes in base64, the shape of AWS ids (`L0SM9cOFvHcCIhw=`)
   */
  readonly connectionIdFactory?: () => string;
}

export interface LocalGateway {
  /** e.g. `http://127.0.0.1:PORT` (no trailing slash). */
  readonly restUrl: string;
  /** e.g. `ws://127.0.0.1:PORT`; `/<stage>` is accepted too. */
  readonly wsUrl: string;
  /** `http://127.0.0.1:WSPORT/<stage>`: the `endpoint` for `ApiGatewayManagementApiClient`. */
  readonly managementEndpoint: string;
  /** Ids of the currently open WebSocket connections. */
  connectionIds(): string[];
  /** Closes all sockets and both servers, and waits for in-flight handler invocations. */
  close(): Promise<void>;
}
