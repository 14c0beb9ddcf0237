import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { ManagementApiConnectionPoster } from '../adapters/management-api-connection-poster.ts';
import type { PublisherConfig } from '../config.ts';
import type { ConnectionPoster } from '../ports.ts';
import { keepAliveAgent, POSTER_TIMEOUTS } from './poster.ts';

/**
 * The `@connections` poster on the AWS SDK's `ApiGatewayManagementApiClient`, configured as the
 * lean one in `compose/poster.ts` is (same keep-alive sockets, timeouts, one attempt per post;
 * `throwOnRequestTimeout`, since this SDK's `requestTimeout` alone only logs a warning).
 * No Lambda uses it: it is the reference the shared poster contract test and `bench/realtime.ts`
 * compare the lean poster with, and it lives in its own module so that no handler's import graph
 * (hence bundle) reaches the SDK client. `cacheMiddleware` resolves the middleware stack once
 * instead of on every call (measured: ~0.6 ms of CPU per call here); safe for this client, whose
 * commands carry their input in the call (NOT for the DynamoDB document client, whose cached
 * handler would keep the first command's input).
 *
 * @example
 * const poster = buildSdkPoster(loadPublisherConfig(process.env));
 */
export function buildSdkPoster(config: PublisherConfig): ConnectionPoster {
  const agent = keepAliveAgent(config.wsManagementEndpoint, config.publishConcurrency);
  const client = new ApiGatewayManagementApiClient({
    region: config.region,
    endpoint: config.wsManagementEndpoint,
    maxAttempts: 1,
    cacheMiddleware: true,
    requestHandler: {
      ...(new URL(config.wsManagementEndpoint).protocol === 'https:'
        ? { httpsAgent: agent }
        : { httpAgent: agent }),
      connectionTimeout: POSTER_TIMEOUTS.connectTimeoutMs,
      requestTimeout: POSTER_TIMEOUTS.requestTimeoutMs,
      // Without it the SDK only logs a warning when `requestTimeout` passes and the post hangs on.
      throwOnRequestTimeout: true,
    },
  });
  return new ManagementApiConnectionPoster({ client });
}
