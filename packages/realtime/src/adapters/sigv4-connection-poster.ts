import { type Agent, type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, HeaderBag } from '@smithy/types';
import type { ConnectionPoster } from '../ports.ts';
import { postToConnectionError } from './poster-errors.ts';

/** Options of {@link SigV4ConnectionPoster}. */
export interface SigV4ConnectionPosterOptions {
  /**
   * The stage's `@connections` endpoint (`HERALD_WS_MANAGEMENT_ENDPOINT`):
   * `https://{api}.execute-api.{region}.amazonaws.com/{stage}` on AWS, the local gateway's
   * `http://127.0.0.1:{port}/{stage}` locally.
   */
  readonly endpoint: string;
  /** The region in the signature's credential scope (`AWS_REGION`). */
  readonly region: string;
  /**
   * Asked before every signature: pass a provider that caches and refreshes before expiry (the
   * SDK's default chain, `defaultProvider()` of `@aws-sdk/credential-provider-node`, does both).
   */
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /**
   * A keep-alive agent of the endpoint's protocol (`node:https` on AWS), at most the publisher's
   * concurrency of sockets: a fan-out then pays one TCP + TLS handshake per socket, not per post.
   */
  readonly agent: Agent;
  /** Give up on a socket that has not connected after this long (a retryable `TimeoutError`). @default 3000 */
  readonly connectTimeoutMs?: number;
  /** Give up on a request whose socket stays silent this long (a retryable `TimeoutError`). @default 5000 */
  readonly requestTimeoutMs?: number;
}

/**
 * A connection id as one path segment, encoded as the SDK encodes it (RFC 3986: `!'()*` too), so
 * the path signed is the path API Gateway canonicalizes. Real ids end in `=`, may hold `+` and `/`.
 */
function encodeSegment(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${(c.codePointAt(0) ?? 0).toString(16).toUpperCase()}`,
  );
}

/** An answer other than 2xx, shaped as the SDK's service exceptions are (`aws-errors.ts` reads both). */
function httpError(status: number, type: string | string[] | undefined, body: Buffer): Error {
  // `x-amzn-errortype` may carry a `:<namespace URL>` suffix.
  const name = (Array.isArray(type) ? type[0] : type)?.split(':')[0] || `Http${status}`;
  let message = body.toString('utf8');
  try {
    const parsed = JSON.parse(message) as { message?: unknown; Message?: unknown };
    message = String(parsed.message ?? parsed.Message ?? message);
  } catch {
    // Not JSON: keep the text.
  }
  return Object.assign(new Error(message || `HTTP ${status}`), {
    name,
    $metadata: { httpStatusCode: status },
  });
}

function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError' });
}

/**
 * {@link ConnectionPoster} as the wire protocol itself: each `PostToConnection` is one POST to
 * `{endpoint}/@connections/{id}`, SigV4-signed for `execute-api` by `@smithy/signature-v4` (the
 * signer the AWS SDK uses) over a keep-alive agent. It skips what the SDK client does around the
 * same request (middleware stack, endpoint rules, serde, retry bookkeeping), which measured here
 * ~5× the CPU of the signed request itself — and a fan-out is nothing but these requests (API
 * Gateway has no batch call). Errors map exactly as the SDK client's adapter maps them
 * (`postToConnectionError`): 410 → `ConnectionGoneError`; 429, 5xx, timeouts, dropped sockets →
 * retryable `PostToConnectionError`; anything else → a permanent one.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-how-to-call-websocket-api-connections.html
 *
 * @example
 * const poster = new SigV4ConnectionPoster({
 *   endpoint: 'https://abc123.execute-api.eu-west-1.amazonaws.com/v1',
 *   region: 'eu-west-1',
 *   credentials: defaultProvider(),
 *   agent: new https.Agent({ keepAlive: true, maxSockets: 32 }),
 * });
 * await poster.post('L0SM9cOFvHcCIhw=', '{"type":"pong","at":"…"}');
 */
export class SigV4ConnectionPoster implements ConnectionPoster {
  readonly #signer: SignatureV4;
  readonly #agent: Agent;
  readonly #send: typeof httpRequest;
  readonly #protocol: string;
  readonly #hostname: string;
  readonly #port: number | undefined;
  /** The `host` header: signed, so it must be what the server sees. */
  readonly #host: string;
  /** `/{stage}/@connections/`: the stage path of the endpoint, without a trailing slash. */
  readonly #prefix: string;
  readonly #connectTimeoutMs: number;
  readonly #requestTimeoutMs: number;

  constructor(options: SigV4ConnectionPosterOptions) {
    const url = new URL(options.endpoint);
    this.#protocol = url.protocol;
    this.#send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    this.#hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.#port = url.port === '' ? undefined : Number(url.port);
    this.#host = url.host;
    this.#prefix = `${url.pathname.replace(/\/+$/, '')}/@connections/`;
    this.#agent = options.agent;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 3000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 5000;
    this.#signer = new SignatureV4({
      service: 'execute-api',
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
    });
  }

  async post(connectionId: string, data: string): Promise<void> {
    const body = Buffer.from(data, 'utf8');
    const path = this.#prefix + encodeSegment(connectionId);
    try {
      const signed = await this.#signer.sign({
        method: 'POST',
        protocol: this.#protocol,
        hostname: this.#hostname,
        ...(this.#port === undefined ? {} : { port: this.#port }),
        path,
        query: {},
        headers: {
          host: this.#host,
          'content-type': 'application/octet-stream',
          'content-length': String(body.length),
        },
        body,
      });
      await this.#request(path, signed.headers, body);
    } catch (error) {
      throw postToConnectionError(connectionId, error);
    }
  }

  /** Sends one signed request; resolves on a 2xx, rejects with the failure as the SDK would shape it. */
  #request(path: string, headers: HeaderBag, body: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const req: ClientRequest = this.#send(
        {
          agent: this.#agent,
          method: 'POST',
          hostname: this.#hostname,
          ...(this.#port === undefined ? {} : { port: this.#port }),
          path,
          headers,
          timeout: this.#requestTimeoutMs,
        },
        (res: IncomingMessage) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            // Drain the (empty) body so the socket goes back to the pool.
            res.resume();
            resolve();
            return;
          }
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            reject(httpError(status, res.headers['x-amzn-errortype'], Buffer.concat(chunks))),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.on('timeout', () => req.destroy(timeoutError(`no answer within ${this.#requestTimeoutMs} ms`)));
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(
          () => req.destroy(timeoutError(`not connected within ${this.#connectTimeoutMs} ms`)),
          this.#connectTimeoutMs,
        );
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      req.end(body);
    });
  }
}
