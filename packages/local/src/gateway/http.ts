import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeaderMaps {
  /** Last value per header, as API Gateway puts it in `headers`. */
  readonly headers: Record<string, string>;
  /** Every value per header, as API Gateway puts it in `multiValueHeaders`. */
  readonly multiValueHeaders: Record<string, string[]>;
}

/**
 * API Gateway keeps the client's header-name casing and, for a repeated header, puts the last
 * value in `headers` and all of them in `multiValueHeaders`. `req.headers` lower-cases and
 * joins, so build both maps from `rawHeaders`.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-input-format
 */
export function headerMaps(rawHeaders: readonly string[]): HeaderMaps {
  const names = new Map<string, string>();
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const raw = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    const key = names.get(raw.toLowerCase()) ?? raw;
    names.set(raw.toLowerCase(), key);
    headers[key] = value;
    const values = multiValueHeaders[key];
    if (values) values.push(value);
    else multiValueHeaders[key] = [value];
  }
  return { headers, multiValueHeaders };
}

export interface QueryMaps {
  readonly queryStringParameters: Record<string, string> | null;
  readonly multiValueQueryStringParameters: Record<string, string[]> | null;
}

/** API Gateway passes `null` (not `{}`) when the request has no query string. */
export function queryMaps(params: URLSearchParams): QueryMaps {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  let any = false;
  for (const [key, value] of params) {
    any = true;
    single[key] = value;
    const values = multi[key];
    if (values) values.push(value);
    else multi[key] = [value];
  }
  return any
    ? { queryStringParameters: single, multiValueQueryStringParameters: multi }
    : { queryStringParameters: null, multiValueQueryStringParameters: null };
}

export type BodyResult = { readonly ok: true; readonly body: Buffer } | { readonly ok: false };

/**
 * Reads a request body up to `limit` bytes. An oversize body is still drained (and dropped) so
 * the client reads our 413 instead of a reset connection mid-upload.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = Number(req.headers['content-length'] ?? 0) > limit;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? { ok: false } : { ok: true, body: Buffer.concat(chunks) }));
    req.on('error', reject);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(payload.length),
  });
  res.end(payload);
}

/** API Gateway's `requestTime` format: `09/Apr/2015:12:34:56 +0000`. */
export function formatRequestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${pad(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  );
}

/** The client address without the IPv4-mapped IPv6 prefix, as API Gateway reports `sourceIp`. */
export function sourceIpOf(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

/** Percent-decodes a path segment; a malformed escape is passed through as received. */
export function decodeSegment(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    // Keep-alive sockets (fetch pools them) would otherwise hold `close` open for 5 s.
    server.closeAllConnections();
  });
}

/** `http://host:port`, with IPv6 hosts bracketed. */
export function originOf(scheme: 'http' | 'ws', host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
