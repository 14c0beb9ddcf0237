import type { ErrorEnvelope } from '@herald/protocol/wire';
import { onAbort } from './abort.ts';
import { HeraldClientError, type HeraldErrorCode, toClientError } from './errors.ts';

/**
 * Returns the caller's current Cognito ID token, refreshing it when needed. Called before every
 * REST request and every WebSocket (re)connect. Return `null` or `undefined` when the user is
 * signed out: requests then fail with `UNAUTHENTICATED` and the connection stops retrying.
 *
 * @example
 * const getToken: TokenProvider = async () => (await auth.currentSession())?.idToken ?? null;
 */
export type TokenProvider = () => string | null | undefined | Promise<string | null | undefined>;

/**
 * The `fetch` the SDK uses: the global one, or one the caller injects (tests, proxies, retries).
 *
 * @example
 * const fetchWithLog: FetchLike = (url, init) => {
 *   console.debug(init?.method ?? 'GET', url);
 *   return fetch(url, init);
 * };
 */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** What a {@link Requester} reads of the client's options. */
export interface HttpOptions {
  readonly apiUrl: string;
  readonly getToken: TokenProvider;
  readonly requestTimeoutMs: number;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly signal?: AbortSignal | undefined;
}

export interface HttpResult<T> {
  readonly status: number;
  readonly body: T;
}

/** The code a status implies when the body is not a Herald envelope (e.g. API Gateway's own 401). */
const STATUS_CODES: Readonly<Record<number, HeraldErrorCode>> = {
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED',
  502: 'UPSTREAM_UNAVAILABLE',
  503: 'UPSTREAM_UNAVAILABLE',
  504: 'UPSTREAM_TIMEOUT',
};

function codeForStatus(status: number): HeraldErrorCode {
  return STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
}

/**
 * Whether a value looks like a Herald error envelope. Hand-written instead of the protocol's zod
 * schema: the core entry stays free of zod (see README, "Size").
 */
export function isEnvelope(value: unknown): value is ErrorEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const { code, message } = value as Record<string, unknown>;
  return typeof code === 'string' && typeof message === 'string';
}

/** The error a non-2xx response stands for: its envelope when it has one, else one from its status. */
export function errorFromResponse(status: number, body: unknown): HeraldClientError {
  if (isEnvelope(body)) return HeraldClientError.fromEnvelope(body, status);
  const gatewayMessage =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>).message : undefined;
  const message =
    typeof gatewayMessage === 'string' && gatewayMessage !== ''
      ? `${gatewayMessage} (HTTP ${status})`
      : `The server answered HTTP ${status}.`;
  return new HeraldClientError(codeForStatus(status), message, { status, details: body });
}

/**
 * Calls `getToken` and turns its outcome into a token or a {@link HeraldClientError}:
 * no token → `UNAUTHENTICATED`; a throw → `TOKEN_UNAVAILABLE` (retryable) with the cause.
 */
export async function resolveToken(getToken: TokenProvider): Promise<string> {
  let token: string | null | undefined;
  try {
    token = await getToken();
  } catch (err) {
    throw toClientError(err, 'TOKEN_UNAVAILABLE', 'getToken failed; see `cause`.');
  }
  if (typeof token !== 'string' || token === '') {
    throw new HeraldClientError('UNAUTHENTICATED', 'getToken returned no token: sign in first.', {
      retryable: false,
    });
  }
  return token;
}

/** An AbortSignal that fires on the caller's signal or after `ms`, and a function to stop the timer. */
function deadline(ms: number, outer: AbortSignal | undefined): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new HeraldClientError('TIMEOUT', 'timeout')), ms);
  const off = onAbort(outer, () => controller.abort(outer?.reason));
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      off();
    },
  };
}

/**
 * One authenticated JSON request against the REST API: `method` and `path` (already filled in),
 * an optional query, JSON body and signal. Resolves with the status and parsed body of a 2xx
 * answer; rejects with a {@link HeraldClientError} otherwise (the server's envelope code when
 * there is one).
 *
 * @example
 * const { status, body } = await request('GET', '/jobs', { query: { limit: 10 } });
 */
export type Requester = (
  method: string,
  path: string,
  options?: RequestOptions,
) => Promise<HttpResult<unknown>>;

/**
 * The {@link Requester} of a client: adds the bearer token, enforces the timeout and maps every
 * failure to a {@link HeraldClientError}.
 *
 * @example
 * const request = createRequester({ apiUrl, getToken, requestTimeoutMs: 30_000 }, fetch);
 */
export function createRequester(
  { apiUrl, getToken, requestTimeoutMs: timeoutMs }: HttpOptions,
  fetch: FetchLike,
): Requester {
  const base = apiUrl.replace(/\/+$/, '');
  return async (method, path, options = {}) => {
    const token = await resolveToken(getToken);
    let url = `${base}${path}`;
    const query = Object.entries(options.query ?? {}).filter(([, v]) => v !== undefined);
    if (query.length > 0) url += `?${new URLSearchParams(query.map(([k, v]) => [k, String(v)]))}`;
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';

    const { signal, clear } = deadline(timeoutMs, options.signal);
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal,
      });
      text = await response.text();
    } catch (err) {
      if (options.signal?.aborted) {
        throw new HeraldClientError('ABORTED', `${method} ${path} was aborted.`, { cause: err });
      }
      if (signal.aborted) {
        throw new HeraldClientError('TIMEOUT', `${method} ${path} got no answer within ${timeoutMs} ms.`, {
          cause: err,
        });
      }
      throw new HeraldClientError(
        'NETWORK_ERROR',
        `${method} ${path} failed: the API could not be reached.`,
        {
          cause: err,
        },
      );
    } finally {
      clear();
    }

    let body: unknown;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch (err) {
        if (response.ok) {
          throw new HeraldClientError(
            'INVALID_RESPONSE',
            `${method} ${path} answered ${response.status} with a body that is not JSON.`,
            { status: response.status, cause: err },
          );
        }
        body = { message: text.slice(0, 200) };
      }
    }
    if (!response.ok) throw errorFromResponse(response.status, body);
    return { status: response.status, body };
  };
}

/**
 * Field name → the `typeof` the field must have (`object` excludes null), or the shape of a nested
 * object. An `undefined` entry checks nothing.
 */
export type Shape = {
  readonly [field: string]: 'string' | 'number' | 'boolean' | 'object' | Shape | undefined;
};

/**
 * Checks that a REST answer is an object with the given fields' types; `INVALID_RESPONSE` if not.
 * A light guard in place of the protocol's zod schemas, to keep zod out of the browser bundle.
 */
export function expectShape<T>(value: unknown, what: string, fields: Shape): T {
  const wrong = mismatch(value, fields);
  if (wrong !== undefined) throw malformed(what, wrong && `field \`${wrong}\``);
  return value as T;
}

/**
 * `INVALID_RESPONSE` for an answer the contract does not allow; `detail` says what is wrong.
 *
 * @example
 * throw malformed('GET /me', 'status 201'); // "The server's GET /me answer is malformed (status 201)."
 */
export function malformed(what: string, detail: string): HeraldClientError {
  const where = detail ? ` (${detail})` : '';
  return new HeraldClientError('INVALID_RESPONSE', `The server's ${what} answer is malformed${where}.`, {
    details: { what },
  });
}

/** The first field that does not fit (`''`: the value itself is no object), or undefined. */
function mismatch(value: unknown, fields: Shape): string | undefined {
  if (typeof value !== 'object' || value === null) return '';
  const record = value as Record<string, unknown>;
  for (const [key, type] of Object.entries(fields)) {
    const field = record[key];
    if (type === undefined) continue;
    if (typeof type === 'object') {
      const nested = mismatch(field, type);
      if (nested !== undefined) return nested || key;
    } else if (typeof field !== type || field === null) return key;
  }
  return undefined;
}
