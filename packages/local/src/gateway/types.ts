import type { HandlerRef, HttpRoute, RouteTable } from '@herald/protocol';

/** One structured log entry. The gateway never puts tokens, headers or message bodies in it. */
export type GatewayLog = (entry: Record<string, unknown>) => void;

/** Invokes a Lambda handler; the local stack supplies one that imports the handler module. */
export type InvokeHandler = (ref: HandlerRef, event: unknown) => Promise<unknown>;

export interface LocalGatewayOptions {
  /** The routes to serve: `ROUTES`, or (in tests) any table whose REST routes say where they go. */
  readonly routes: RouteTable<HttpRoute>;
  /** Invoke a Lambda handler; the local stack supplies one that imports the handler module. */
  readonly invoke: InvokeHandler;
  /** Cognito user-pool authorizer emulation: verified claims, or `undefined` to refuse (401). */
  readonly verifyToken: (token: string) => Promise<Record<string, unknown> | undefined>;
  /** @default 'local' */
  readonly stage?: string;
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
  /** Origins allowed by CORS. @default '*' */
  readonly corsOrigins?: readonly string[] | '*';
  /** @default no logging */
  readonly log?: GatewayLog;
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
