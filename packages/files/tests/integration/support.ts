import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import { inject } from 'vitest';

// Helpers for this package's integration tests, against the run's local stack.

/** The parts of the run's local stack these tests use. */
export interface FileStack {
  readonly apiUrl: string;
  readonly wsUrl: string;
  readonly localUrl: string;
  readonly postgres: { readonly connectionString: string };
  readonly s3: { readonly endpoint: string; readonly buckets: { readonly files: string } };
  readonly srvgw: { readonly url: string; readonly credential: string };
  readonly identity: { readonly issuer: string };
  /** Queue URLs by construct id (`FileFetchQueue`), as the functions' environment holds them. */
  readonly queueUrls: Readonly<Record<string, string>>;
}

export const fileStack = (): FileStack => inject('stack' as never) as FileStack;

/** The `sub` of each dev user (packages/local/src/identity.ts). */
export const SUBS = {
  alice: '6f1c1f9e-3b1a-4c55-9d0e-a11ce0000001',
  bob: '6f1c1f9e-3b1a-4c55-9d0e-b0b000000002',
  admin: '6f1c1f9e-3b1a-4c55-9d0e-ad0000000003',
} as const;

/** A dev token from the local identity provider, as the demo page gets one. */
export async function tokenFor(username: keyof typeof SUBS): Promise<string> {
  const res = await fetch(`${fileStack().identity.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  });
  if (!res.ok) throw new Error(`token request failed: ${res.status}`);
  return ((await res.json()) as { idToken: string }).idToken;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are checked field by field
  readonly body: any;
}

/** A JSON request to the local REST gateway. */
export async function api(token: string, method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const res = await fetch(`${fileStack().apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** The sample SRV-GW's test-only control endpoint (counters, faults, scratch files). */
export const srvgw = {
  async call(method: string, path: string, body?: string | Uint8Array): Promise<Response> {
    const { url, credential } = fileStack().srvgw;
    const res = await fetch(`${url}/_control${path}`, {
      method,
      headers: { authorization: `Bearer ${credential}` },
      ...(body !== undefined && { body }),
    });
    if (!res.ok) throw new Error(`SRV-GW control ${method} ${path}: ${res.status}`);
    return res;
  },
  async stats(path: string): Promise<{ hits: number; downloads: number; notModified: number }> {
    return (await srvgw.call('GET', `/stats?path=${encodeURIComponent(path)}`)).json() as never;
  },
  async requestsContaining(marker: string): Promise<number> {
    const res = await srvgw.call('GET', `/requests?contains=${encodeURIComponent(marker)}`);
    return ((await res.json()) as { count: number }).count;
  },
  async fault(path: string, fault: { status: number } | { hangMs: number } | { dropAfterBytes: number }) {
    await srvgw.call('PUT', '/faults', JSON.stringify({ path, fault }));
  },
  async clearFault(path: string) {
    await srvgw.call('DELETE', `/faults?path=${encodeURIComponent(path)}`);
  },
  /** Writes a scratch file served at `/files/<path>` (never into the samples folder). */
  async write(path: string, body: string | Uint8Array) {
    await srvgw.call('PUT', `/files/${encodeSegments(path)}`, body);
  },
  /** A sparse scratch file of `size` zero bytes. */
  async writeSparse(path: string, size: number) {
    await srvgw.call('PUT', `/files/${encodeSegments(path)}?size=${size}`);
  },
  async remove(path: string) {
    await srvgw.call('DELETE', `/files/${encodeSegments(path)}`).catch(() => {});
  },
  /** The file straight from SRV-GW, as the source of truth for "exactly the source bytes". */
  async source(path: string): Promise<Buffer> {
    const { url, credential } = fileStack().srvgw;
    const res = await fetch(`${url}/files/${encodeSegments(path)}`, {
      headers: { authorization: `Bearer ${credential}` },
    });
    if (!res.ok) throw new Error(`SRV-GW GET ${path}: ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  },
};

const encodeSegments = (path: string) => path.split('/').map(encodeURIComponent).join('/');

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A minimal WebSocket client (RFC 6455) for reading server frames: `ws` is not a dependency of
 * this package and Node 20 has no global WebSocket. It sends the handshake with the given
 * subprotocols, answers pings, keeps every text message, and can send masked text frames.
 */
export class MiniWebSocket {
  readonly messages: Record<string, unknown>[] = [];
  readonly #waiters = new Set<() => void>();
  #buffer = Buffer.alloc(0);
  #fragments: Buffer[] = [];

  private constructor(
    readonly socket: Socket,
    readonly protocol: string | undefined,
  ) {}

  /** Opens a connection; rejects with the status when the handshake is refused. */
  static open(url: string, protocols: readonly string[]): Promise<MiniWebSocket> {
    const target = new URL(url);
    return new Promise((resolve, reject) => {
      const req = httpRequest({
        hostname: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': randomBytes(16).toString('base64'),
          'sec-websocket-protocol': protocols.join(', '),
        },
      });
      req.once('upgrade', (res, socket, head) => {
        const chosen = res.headers['sec-websocket-protocol'];
        const ws = new MiniWebSocket(socket, typeof chosen === 'string' ? chosen : undefined);
        socket.on('data', (data: Buffer) => ws.#receive(data));
        socket.on('error', () => {});
        if (head.length > 0) ws.#receive(head);
        resolve(ws);
      });
      req.once('response', (res) => {
        res.resume();
        reject(new Error(`handshake refused: ${res.statusCode}`));
      });
      req.once('error', reject);
      req.end();
    });
  }

  /** Sends a JSON text frame (masked, as clients must). */
  send(message: unknown): void {
    this.#sendFrame(0x1, Buffer.from(JSON.stringify(message)));
  }

  /** The first message (from `from` on) that matches, within `timeoutMs`. */
  waitFor(
    match: (message: Record<string, unknown>) => boolean,
    timeoutMs = 10_000,
  ): Promise<Record<string, unknown>> {
    const find = () => this.messages.find(match);
    const found = find();
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`));
      }, timeoutMs);
      const check = () => {
        const hit = find();
        if (!hit) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(hit);
      };
      this.#waiters.add(check);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  #sendFrame(opcode: number, payload: Buffer): void {
    const mask = randomBytes(4);
    const length = payload.length;
    const header =
      length < 126
        ? Buffer.from([0x80 | opcode, 0x80 | length])
        : Buffer.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff]);
    const masked = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] as number)));
    this.socket.write(Buffer.concat([header, mask, masked]));
  }

  #receive(data: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, data]);
    for (;;) {
      if (this.#buffer.length < 2) return;
      const first = this.#buffer[0] as number;
      const second = this.#buffer[1] as number;
      let length = second & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.#buffer.length < 4) return;
        length = this.#buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.#buffer.length < 10) return;
        length = Number(this.#buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (this.#buffer.length < offset + length) return;
      const payload = this.#buffer.subarray(offset, offset + length);
      this.#buffer = this.#buffer.subarray(offset + length);
      const opcode = first & 0x0f;
      if (opcode === 0x9) this.#sendFrame(0xa, Buffer.from(payload));
      if (opcode === 0x1 || opcode === 0x0) {
        this.#fragments.push(Buffer.from(payload));
        if ((first & 0x80) !== 0) {
          const text = Buffer.concat(this.#fragments).toString('utf8');
          this.#fragments = [];
          this.messages.push(JSON.parse(text) as Record<string, unknown>);
          for (const wake of this.#waiters) wake();
        }
      }
    }
  }
}
