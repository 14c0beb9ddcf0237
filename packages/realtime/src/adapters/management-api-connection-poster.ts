import {
  type ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { ConnectionGoneError, PostToConnectionError } from '../errors.ts';
import type { ConnectionPoster } from '../ports.ts';
import { awsErrorName, awsStatusCode, isRetryableAwsError } from './aws-errors.ts';

/** Options of {@link ManagementApiConnectionPoster}. */
export interface ManagementApiConnectionPosterOptions {
  /**
   * Built once per container by `compose/poster.ts`, with the `@connections` endpoint, keep-alive
   * sockets and `maxAttempts: 1` (the publisher retries, with jitter, and counts attempts).
   */
  readonly client: ApiGatewayManagementApiClient;
}

const encoder = new TextEncoder();

/**
 * {@link ConnectionPoster} on the API Gateway Management API (`PostToConnection`). Vendor errors
 * end here: 410 `GoneException` → {@link ConnectionGoneError}; anything else →
 * {@link PostToConnectionError}, retryable for 429 / throttling / 5xx / dropped sockets.
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
      const name = awsErrorName(error);
      const statusCode = awsStatusCode(error);
      if (name === 'GoneException' || statusCode === 410)
        throw new ConnectionGoneError(connectionId, { cause: error });
      throw new PostToConnectionError(connectionId, `PostToConnection failed (${name})`, {
        cause: error,
        retryable: isRetryableAwsError(error),
        ...(statusCode === undefined ? {} : { statusCode }),
      });
    }
  }
}
