import { createServer } from 'node:http';
import { LIMITS } from '@herald/protocol';
import { closeServer, listen, originOf } from './http.ts';
import { createManagementListener } from './management.ts';
import { gatewayResponder } from './responses.ts';
import { createRestListener } from './rest.ts';
import type { LocalGateway, LocalGatewayOptions } from './types.ts';
import { createWsGateway, newConnectionId } from './websocket.ts';

export { type GatewayResponseSpec, gatewayResponder, type PreflightSpec } from './responses.ts';
export { REST_MAX_BODY_BYTES } from './rest.ts';
export type {
  GatewayHttpRoute,
  GatewayLog,
  GatewayResponder,
  GatewayRoutes,
  GatewayWsApi,
  InvokeHandler,
  LocalGateway,
  LocalGatewayOptions,
} from './types.ts';
export { newConnectionId } from './websocket.ts';

/** What the local API stands in for in ARNs: a fixed fake account and region. */
const ACCOUNT_ID = '000000000000';
const REGION = 'us-east-1';

/**
 * Starts a local API Gateway: a REST API and a WebSocket API (with the `@connections`
 * Management API on the WebSocket port), both routed from the shared route table and passing
 * handlers the event shapes API Gateway passes them.
 *
 * @example
 * const gw = await createLocalGateway({ routes: ROUTES, invoke, verifyToken });
 * const client = new ApiGatewayManagementApiClient({ endpoint: gw.managementEndpoint, region: 'us-east-1' });
 * // ...
 * await gw.close();
 */
export async function createLocalGateway(options: LocalGatewayOptions): Promise<LocalGateway> {
  const stage = options.stage ?? 'local';
  const wsStage = options.webSocketStage ?? stage;
  const host = options.host ?? '127.0.0.1';
  const maxMessageBytes = options.maxMessageBytes ?? LIMITS.wsMessageBytes;
  const log = options.log ?? (() => {});

  // Every handler invocation is tracked so `close()` can wait for in-flight work
  // (a `$disconnect` fired by the close itself, above all).
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    const forget = (): void => {
      inFlight.delete(work);
    };
    work.then(forget, forget);
    return work;
  };

  const ws = createWsGateway({
    routes: options.routes.ws,
    invoke: options.invoke,
    stage: wsStage,
    apiId: options.webSocketApiId ?? 'local',
    accountId: ACCOUNT_ID,
    region: REGION,
    maxMessageBytes,
    idleTimeoutMs: options.idleTimeoutMs ?? LIMITS.wsIdleTimeoutMs,
    maxConnectionAgeMs: options.maxConnectionAgeMs ?? LIMITS.wsMaxConnectionAgeMs,
    newConnectionId: options.connectionIdFactory ?? newConnectionId,
    log,
    track,
  });
  const restServer = createServer(
    createRestListener({
      routes: options.routes.http,
      invoke: options.invoke,
      verifyToken: options.verifyToken,
      stage,
      apiId: options.restApiId ?? 'local',
      accountId: ACCOUNT_ID,
      responses: options.responses ?? gatewayResponder(),
      log,
      track,
    }),
  );
  const wsServer = createServer(
    createManagementListener({
      ws,
      apiId: options.webSocketApiId ?? 'local',
      stage: wsStage,
      maxMessageBytes,
      log,
      logRequests: options.logRequests ?? false,
      ...(options.iam && { iam: options.iam }),
    }),
  );
  // The publisher's SDK client pools its sockets to `@connections`; Node's 5 s idle close races a
  // reuse after a quiet spell (ECONNRESET, see dynamodb.ts). API Gateway keeps them far longer.
  wsServer.keepAliveTimeout = 10 * 60_000;
  wsServer.on('upgrade', (req, socket, head) => ws.handleUpgrade(req, socket, head));

  let restPort: number;
  let wsPort: number;
  try {
    restPort = await listen(restServer, options.restPort ?? 0, host);
    wsPort = await listen(wsServer, options.wsPort ?? 0, host);
  } catch (err) {
    await Promise.all([closeServer(restServer), closeServer(wsServer)]);
    throw err;
  }
  const restUrl = originOf('http', host, restPort);
  const wsUrl = originOf('ws', host, wsPort);
  const managementEndpoint = `${originOf('http', host, wsPort)}/${wsStage}`;
  log({ level: 'info', msg: 'local gateway listening', restUrl, wsUrl, managementEndpoint });

  let closed: Promise<void> | undefined;
  return {
    restUrl,
    wsUrl,
    managementEndpoint,
    connectionIds: () => ws.ids(),
    close() {
      closed ??= (async () => {
        await ws.close();
        await Promise.allSettled([...inFlight]);
        await Promise.all([closeServer(restServer), closeServer(wsServer)]);
        log({ level: 'info', msg: 'local gateway closed' });
      })();
      return closed;
    },
  };
}
