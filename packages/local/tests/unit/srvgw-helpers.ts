import { request as httpRequest } from 'node:http';

export const CREDENTIAL = 'test-srvgw-credential';
export const AUTH = { authorization: `Bearer ${CREDENTIAL}` };

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The connection ended before the whole body arrived. */
  aborted: boolean;
}

/**
 * Sends a request with the path exactly as given: fetch and URL would normalise `..` and
 * `%2e%2e` away before the server saw them, which is what the traversal tests must avoid.
 */
export function raw(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
) {
  const { hostname, port } = new URL(base);
  return new Promise<RawResponse>((resolve, reject) => {
    const req = httpRequest(
      { hostname, port, path, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        const done = (aborted: boolean) =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
            aborted,
          });
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done(false));
        res.on('error', () => done(true));
      },
    );
    req.on('error', reject);
    req.end();
  });
}
