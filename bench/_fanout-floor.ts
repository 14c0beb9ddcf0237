// Contender (b) of bench/realtime.ts, the wire floor: what delivering to N connections costs on
// API Gateway's own protocol, with nothing of Herald around it. API Gateway has no batch call, so
// a fan-out is one SigV4-signed `POST {endpoint}/@connections/{id}` per connection; here a bare
// loop of them, signed by `@smithy/signature-v4` (the signer the AWS SDK itself uses, sha256 on
// node:crypto) and sent over a `node:http` keep-alive agent, `concurrency` at a time. No retries,
// no error mapping, no connection list, no metrics: a non-2xx answer aborts the run.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html
import { Agent, request } from 'node:http';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';

/** Where and as whom the floor posts. */
export interface WireFloorOptions {
  /** The local gateway's `@connections` endpoint, `http://127.0.0.1:{port}/{stage}`. */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity;
  /** Requests in flight, and sockets in the keep-alive pool (Herald's publish concurrency). */
  readonly concurrency: number;
}

/** A signed-POST loop: `post(ids, frame)` sends `frame` to every id and resolves with the count. */
export interface WireFloor {
  post(connectionIds: readonly string[], frame: string): Promise<number>;
  close(): void;
}

/**
 * Builds the wire floor for one endpoint.
 *
 * @example
 * const floor = wireFloor({ endpoint: 'http://127.0.0.1:4510/local', region: 'us-east-1', credentials, concurrency: 32 });
 * await floor.post(ids, JSON.stringify({ type: 'event', event }));
 */
export function wireFloor(options: WireFloorOptions): WireFloor {
  const url = new URL(options.endpoint);
  const prefix = `${url.pathname.replace(/\/+$/, '')}/@connections/`;
  const port = Number(url.port);
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });

  async function postOne(connectionId: string, body: Buffer): Promise<void> {
    const path = prefix + encodeURIComponent(connectionId);
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port,
      path,
      query: {},
      headers: {
        host: url.host,
        'content-type': 'application/octet-stream',
        'content-length': String(body.length),
      },
      body,
    });
    await new Promise<void>((resolve, reject) => {
      const req = request(
        { agent, method: 'POST', hostname: url.hostname, port, path, headers: signed.headers },
        (res) => {
          res.resume();
          if (res.statusCode === 200) resolve();
          else reject(new Error(`@connections answered ${res.statusCode} for ${connectionId}`));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  return {
    async post(connectionIds, frame) {
      const body = Buffer.from(frame, 'utf8');
      let next = 0;
      const worker = async () => {
        while (next < connectionIds.length) await postOne(connectionIds[next++] as string, body);
      };
      await Promise.all(Array.from({ length: Math.min(options.concurrency, connectionIds.length) }, worker));
      return connectionIds.length;
    },
    close: () => agent.destroy(),
  };
}
