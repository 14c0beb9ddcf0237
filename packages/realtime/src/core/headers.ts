/** The header maps of an API Gateway event (REST proxy, WebSocket, REQUEST authorizer). */
export interface HeaderSource {
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly multiValueHeaders?: Readonly<Record<string, readonly string[] | undefined>> | null;
}

/**
 * A request header's value, found case-insensitively (HTTP header names are; gateways and
 * proxies pass them in any case). Repeated headers are joined with `, ` as RFC 9110 allows
 * for list-valued headers such as `Sec-WebSocket-Protocol`.
 *
 * @example
 * headerValue({ headers: { 'sec-websocket-protocol': 'herald.v1' } }, 'Sec-WebSocket-Protocol'); // 'herald.v1'
 */
export function headerValue(source: HeaderSource, name: string): string | undefined {
  const wanted = name.toLowerCase();
  // multiValueHeaders holds every occurrence; headers only the last one on REST APIs.
  for (const [key, values] of Object.entries(source.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && values !== undefined && values.length > 0) return values.join(', ');
  }
  for (const [key, value] of Object.entries(source.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}
