import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { ManagementApiConnectionPoster } from '../adapters/management-api-connection-poster.ts';
import type { RealtimeDeps } from '../compose.ts';
import type { PublisherConfig } from '../config.ts';
import type { ConnectionPoster } from '../ports.ts';
import { getConfig } from './base.ts';

/**
 * The `@connections` poster. Its client is built once per container: keep-alive sockets (enough
 * for the publisher's concurrency) so a fan-out does not pay a TCP + TLS handshake per post, and
 * `maxAttempts: 1` because the publisher retries itself, with jitter, counting attempts.
 * `cacheMiddleware` resolves the middleware stack once instead of on every PostToConnection
 * (measured: ~0.6 ms of CPU per call here). Safe for this plain client, whose commands carry
 * their input in the call; NOT for the DynamoDB document client, whose cached handler would
 * keep the first command's input.
 *
 * @example
 * const poster = buildPoster(loadPublisherConfig(process.env));
 */
export function buildPoster(config: PublisherConfig): ConnectionPoster {
  const sockets = { keepAlive: true, maxSockets: config.publishConcurrency };
  const client = new ApiGatewayManagementApiClient({
    region: config.region,
    endpoint: config.wsManagementEndpoint,
    maxAttempts: 1,
    cacheMiddleware: true,
    requestHandler: {
      httpAgent: new HttpAgent(sockets),
      httpsAgent: new HttpsAgent(sockets),
      connectionTimeout: 3000,
      requestTimeout: 5000,
    },
  });
  return new ManagementApiConnectionPoster({ client });
}

let poster: Pick<RealtimeDeps, 'poster'> | undefined;

/**
 * The container's `@connections` poster, built at the first call (`$default` posts a resume's
 * replay; the publisher shares it).
 *
 * @example
 * export const handler = makeWsDefaultHandler(() => ({ ...getBaseDeps(), ...getStoreDeps(), ...getPosterDeps() }));
 */
export function getPosterDeps(): Pick<RealtimeDeps, 'poster'> {
  poster ??= { poster: buildPoster(getConfig()) };
  return poster;
}

/** Forgets the poster (`resetDeps` in `compose.ts` calls it). */
export function resetPosterDeps(): void {
  poster = undefined;
}
