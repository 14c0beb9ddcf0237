import {
  type ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type { ConnectionPoster } from '../ports.ts';
import { postToConnectionError } from './poster-errors.ts';

/** Options of {@link ManagementApiConnectionPoster}. */
export interface ManagementApiConnectionPosterOptions {
  /**
   * Built by `compose/sdk-poster.ts`, with the `@connections` endpoint, keep-alive
   * sockets and `maxAttempts: 1` (the publisher retries, with jitter, and counts attempts).
   */
  readonly client: ApiGatewayManagementApiClient;
}

const encoder = new TextEncoder();

/**
 * {@link ConnectionPoster} on the AWS SDK's API Gateway Management API client
 * (`PostToConnection`). The Lambdas post with the lean `SigV4ConnectionPoster` (~5× less CPU per
 * post); this one stays as the reference the shared contract test and `bench/realtime.ts` hold
 * the lean one to. Vendor errors end here (`postToConnectionError`): 410 `GoneException` →
 * `ConnectionGoneError`; anything else → `PostToConnectionError`, retryable for 429 / throttling
 * / 5xx / dropped sockets.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html
 *
 * @example
 * const poster = new ManagementApiConnectionPoster({ client });
 * await poster.post('L0SM9cOFvHcCIhw=', '{"type":"pong","at":"…"}');
 */
export class ManagementApiConnectionPoster implements ConnectionPoster {
  readonly #client: ApiGatewayManagementApiClient;

  constructor(options: ManagementApiConnectionPosterOptions) {
    this.#client = options.client;
  }

  async post(connectionId: string, data: string): Promise<void> {
    try {
      // The SDK URL-encodes the id in the path (real ids end in `=`, may hold `+` and `/`).
      await this.#client.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: encoder.encode(data) }),
      );
    } catch (error) {
      throw postToConnectionError(connectionId, error);
    }
  }
}
