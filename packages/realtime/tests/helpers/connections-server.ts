import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

/** One request as the server received it, and whether its SigV4 signature checked out. */
export interface ReceivedPost {
  readonly method: string;
  /** The raw path, as sent (the id still URL-encoded). */
  readonly path: string;
  readonly body: string;
  /** The access key id of the signature's credential scope, and the scope's region and service. */
  readonly scope: string;
  readonly sessionToken: string | undefined;
  readonly signatureValid: boolean;
}

export interface ConnectionsServer {
  /** `http://127.0.0.1:{port}/{stage}`: what `HERALD_WS_MANAGEMENT_ENDPOINT` holds locally. */
  readonly endpoint: string;
  readonly region: string;
  readonly received: ReceivedPost[];
  /** TCP connections accepted so far (keep-alive reuse keeps this low). */
  sockets(): number;
  close(): Promise<void>;
}

/**
 * How the server answers, by the connection id's prefix (before `=`), as API Gateway's
 * `@connections` does: status and `x-amzn-errortype`, or a socket dropped without an answer, or
 * no answer at all (`slow`). Any other id: 200.
 */
export const ANSWERS: Readonly<Record<string, { status: number; type?: string } | 'drop' | 'hang'>> = {
  gone: { status: 410, type: 'GoneException' },
  throttled: { status: 429, type: 'TooManyRequestsException' },
  limited: { status: 429, type: 'LimitExceededException' },
  broken: { status: 500, type: 'InternalServerErrorException' },
  unavailable: { status: 503 },
  forbidden: { status: 403, type: 'ForbiddenException' },
  large: { status: 413, type: 'PayloadTooLargeException' },
  dropped: 'drop',
  slow: 'hang',
};

const STAGE = 'local';

/** `20261205T021500Z` → the Date it names. */
function amzDate(value: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return new Date(Number.NaN);
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return new Date(Date.UTC(y as number, (mo as number) - 1, d, h, mi, s));
}

/**
 * Checks a request's SigV4 signature as API Gateway would: the canonical request rebuilt from
 * what arrived (method, raw path, the headers the signature names, the body), signed again with
 * the secret the server knows, compared.
 */
async function verifySignature(req: IncomingMessage, body: Buffer, secretAccessKey: string, region: string) {
  const authorization = req.headers.authorization ?? '';
  const scope = /Credential=([^,\s]+)/.exec(authorization)?.[1] ?? '';
  const signedHeaders = (/SignedHeaders=([^,\s]+)/.exec(authorization)?.[1] ?? '').split(';');
  const signature = /Signature=([0-9a-f]+)/.exec(authorization)?.[1];
  const [accessKeyId = '', , scopeRegion, service] = scope.split('/');
  const sessionToken = req.headers['x-amz-security-token'] as string | undefined;
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const signer = new SignatureV4({
    service: service ?? '',
    region: scopeRegion ?? '',
    credentials: { accessKeyId, secretAccessKey, ...(sessionToken && { sessionToken }) },
    sha256: Sha256,
    applyChecksum: 'x-amz-content-sha256' in headers,
  });
  const host = headers.host ?? '';
  const expected = await signer.sign(
    {
      method: req.method ?? 'POST',
      protocol: 'http:',
      hostname: host.replace(/:\d+$/, ''),
      path: req.url ?? '/',
      query: {},
      headers,
      body,
    },
    { signingDate: amzDate(String(req.headers['x-amz-date'])), signableHeaders: new Set(signedHeaders) },
  );
  const valid =
    signature !== undefined &&
    String(expected.headers.authorization).endsWith(`Signature=${signature}`) &&
    scopeRegion === region &&
    service === 'execute-api';
  return { scope, sessionToken, valid };
}

/**
 * A real HTTP server on loopback speaking API Gateway's `@connections` (`POST
 * /{stage}/@connections/{id}`): it verifies every request's SigV4 signature against
 * `secretAccessKey` (403 `InvalidSignatureException` when it does not match), then answers per
 * {@link ANSWERS}. Unlike the local gateway, which names the signer but accepts any signature, it
 * catches a poster that signs a different request from the one it sends.
 *
 * @example
 * const server = await startConnectionsServer({ secretAccessKey: 'test' });
 * new SigV4ConnectionPoster({ endpoint: server.endpoint, region: server.region, ... });
 */
export async function startConnectionsServer(options: {
  secretAccessKey: string;
}): Promise<ConnectionsServer> {
  const region = 'eu-west-1';
  const received: ReceivedPost[] = [];
  let sockets = 0;
  const answer = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const path = req.url ?? '';
    const signature = await verifySignature(req, body, options.secretAccessKey, region);
    received.push({
      method: req.method ?? '',
      path,
      body: body.toString('utf8'),
      scope: signature.scope,
      sessionToken: signature.sessionToken,
      signatureValid: signature.valid,
    });
    const send = (status: number, type?: string, message = 'no') => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (type) headers['x-amzn-errortype'] = type;
      res.writeHead(status, headers).end(status === 200 ? '' : JSON.stringify({ message }));
    };
    if (!signature.valid)
      return send(403, 'InvalidSignatureException', 'The request signature we calculated does not match');
    if (!path.startsWith(`/${STAGE}/@connections/`)) return send(404, 'NotFoundException');
    const id = decodeURIComponent(path.split('/').pop() ?? '');
    const scripted = ANSWERS[id.split('=')[0] ?? ''];
    if (scripted === 'drop') return req.socket.destroy();
    if (scripted === 'hang') return;
    send(scripted?.status ?? 200, scripted?.type);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      answer(req, res, Buffer.concat(chunks)).catch(() => res.writeHead(500).end());
    });
  });
  server.on('connection', () => {
    sockets++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${STAGE}`,
    region,
    received,
    sockets: () => sockets,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
