import { type Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { type Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { SourceNotFoundError, UpstreamTimeoutError, UpstreamUnavailableError } from '../errors.ts';
import type { FileSource, SourceRequest, SourceResponse, SourceValidators } from '../ports.ts';

/**
 * Options of {@link SrvGwFileSource}.
 *
 * @example
 * const options: SrvGwFileSourceOptions = { baseUrl, credential, connectTimeoutMs: 3000, idleTimeoutMs: 5000 };
 */
export interface SrvGwFileSourceOptions {
  /** `HERALD_SRVGW_URL`: scheme, host and optional base path; files are at `<base>/files/<path>`. */
  readonly baseUrl: string;
  /**
   * The bearer credential. A function, so compose can resolve it once, lazily, from Secrets
   * Manager; it is sent only in the `Authorization` header and never logged.
   */
  readonly credential: () => Promise<string>;
  /** No TCP connection within this → {@link UpstreamTimeoutError} `connect`. */
  readonly connectTimeoutMs: number;
  /** No bytes (headers or body) for this long → {@link UpstreamTimeoutError} `idle`. */
  readonly idleTimeoutMs: number;
  /** A keep-alive agent for the base URL's scheme (built by compose). */
  readonly agent?: HttpAgent | HttpsAgent;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

/**
 * The external file server (SRV-GW) over HTTP(S): `GET <base>/files/<path>` with
 * `Authorization: Bearer <credential>` and the conditional headers the cache asks for.
 *
 * The URL is built from the configured base and the path's segments, each percent-encoded, so
 * a request can never change the scheme, host or port (and a base-URL origin check backs that
 * up). Redirects are not followed. Timeouts: `connectTimeoutMs` until the socket connects,
 * then `idleTimeoutMs` of silence at any point (waiting for headers or between body chunks).
 * Faults become {@link UpstreamUnavailableError} (retryable: network errors, 5xx, 429, a body
 * cut short; not retryable: 401/403, 3xx, other 4xx) or {@link UpstreamTimeoutError};
 * 404 is {@link SourceNotFoundError}.
 *
 * @example
 * const source = new SrvGwFileSource({ baseUrl, credential: async () => secret, connectTimeoutMs: 3000, idleTimeoutMs: 5000 });
 * const response = await source.open('reports/q3.csv', { ifNoneMatch: '"abc"' });
 */
export class SrvGwFileSource implements FileSource {
  readonly #base: URL;
  readonly #options: SrvGwFileSourceOptions;

  constructor(options: SrvGwFileSourceOptions) {
    this.#base = new URL(options.baseUrl);
    if (this.#base.protocol !== 'http:' && this.#base.protocol !== 'https:') {
      throw new TypeError('the SRV-GW base URL must be http(s)');
    }
    this.#options = options;
  }

  /** The file's URL: the base's origin and path, then `/files/` and the encoded segments. */
  urlFor(path: string): URL {
    const basePath = this.#base.pathname.replace(/\/+$/, '');
    const encoded = path.split('/').map(encodeURIComponent).join('/');
    const url = new URL(this.#base.origin);
    url.pathname = `${basePath}/files/${encoded}`;
    if (url.origin !== this.#base.origin) throw new TypeError('the SRV-GW URL changed origin');
    return url;
  }

  async open(path: string, request: SourceRequest): Promise<SourceResponse> {
    const url = this.urlFor(path);
    const credential = await this.#options.credential();
    const headers: Record<string, string> = { authorization: `Bearer ${credential}`, accept: '*/*' };
    if (request.ifNoneMatch !== undefined) headers['if-none-match'] = request.ifNoneMatch;
    if (request.ifModifiedSince !== undefined) headers['if-modified-since'] = request.ifModifiedSince;
    const exchange = await this.#send(url, headers, request.signal);
    const { response } = exchange;
    const status = response.statusCode ?? 0;
    const validators = validatorsOf(response);
    if (status === 200) {
      const declared = response.headers['content-length'];
      const size = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined;
      return {
        kind: 'file',
        body: exchange.body(),
        size,
        contentType: response.headers['content-type'],
        validators,
        cancel: exchange.cancel,
      };
    }
    if (status === 304) {
      // No body: reading to the end returns the socket to the keep-alive pool.
      response.resume();
      return { kind: 'not-modified', validators };
    }
    // Any other answer's body is not needed (and may be large): drop the connection.
    exchange.cancel();
    if (status === 404) throw new SourceNotFoundError(path);
    const retryable = status >= 500 || status === 429 || status === 408;
    const what =
      status === 401 || status === 403
        ? 'SRV-GW refused our credential'
        : status >= 300 && status < 400
          ? 'SRV-GW answered with a redirect (not followed)'
          : `SRV-GW answered HTTP ${status}`;
    throw new UpstreamUnavailableError(what, { retryable, status });
  }

  #send(
    url: URL,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<{ response: IncomingMessage; body: () => AsyncIterable<Uint8Array>; cancel: () => void }> {
    const { connectTimeoutMs, idleTimeoutMs, agent } = this.#options;
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      let failure: Error | undefined;
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, { method: 'GET', headers, ...(agent !== undefined && { agent }) });
      const fail = (error: Error) => {
        failure ??= error;
        cleanup();
        req.destroy(failure);
        // A request still waiting for a socket emits no 'error' when destroyed: settle now
        // (a no-op once the response arrived; the body then fails with `failure`).
        reject(failure);
      };
      const onAbort = () => fail(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(connectTimer);
      };
      const connectTimer = setTimeout(
        () => fail(new UpstreamTimeoutError('connect', connectTimeoutMs)),
        connectTimeoutMs,
      );
      req.once('socket', (socket) => {
        if (socket.connecting) socket.once('connect', () => clearTimeout(connectTimer));
        else clearTimeout(connectTimer);
      });
      // Socket inactivity, before the headers and between body chunks alike.
      req.setTimeout(idleTimeoutMs, () => fail(new UpstreamTimeoutError('idle', idleTimeoutMs)));
      req.once('close', cleanup);
      req.once('error', (error) => {
        cleanup();
        // `failure` is ours (a timeout, or the caller's abort reason): it passes as it is.
        reject(failure ?? translateTransportError(error));
      });
      req.once('response', (response) => {
        clearTimeout(connectTimer);
        const cancel = () => {
          response.destroy();
          req.destroy();
        };
        async function* body(): AsyncGenerator<Uint8Array> {
          try {
            for await (const chunk of response) yield chunk as Buffer;
            // A body that ended early without an error event still counts as cut short.
            if (!response.complete) throw new Error('the response ended before its end');
          } catch (error) {
            throw failure ?? translateTransportError(error, true);
          } finally {
            cancelIfUnfinished(response, cancel);
          }
        }
        resolve({ response, body, cancel });
      });
      req.end();
    });
  }
}

function cancelIfUnfinished(response: IncomingMessage, cancel: () => void): void {
  if (!response.complete) cancel();
}

function validatorsOf(response: IncomingMessage): SourceValidators {
  const etag = response.headers.etag;
  const lastModified = response.headers['last-modified'];
  return {
    ...(etag !== undefined && { etag }),
    ...(lastModified !== undefined && { lastModified }),
  };
}

/** A socket error as a retryable fault (our own errors never get here). */
function translateTransportError(error: unknown, midBody = false): Error {
  const code = (error as { code?: unknown } | null)?.code;
  const network = typeof code === 'string' && NETWORK_CODES.has(code);
  return new UpstreamUnavailableError(
    midBody
      ? 'the SRV-GW connection broke during the transfer'
      : `SRV-GW is unreachable${network ? ` (${String(code)})` : ''}`,
    { cause: error, retryable: true },
  );
}
