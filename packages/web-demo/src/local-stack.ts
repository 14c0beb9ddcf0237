/**
 * What the demo needs from the local stack that is not Herald's API: where the endpoints are
 * (`GET /_local/info` on the page's own origin) and the dev sign-in of the local identity
 * provider (a stand-in for Cognito's hosted UI). Everything else goes through the SDK.
 */

/** `GET /_local/info`: the endpoints of the local stack that serves this page. */
export interface LocalInfo {
  readonly apiUrl: string;
  readonly wsUrl: string;
  /** Base URL of the local identity provider (its issuer). */
  readonly identity: string;
  readonly users: readonly string[];
}

/** A dev user of the local identity provider. */
export interface DevUser {
  readonly username: string;
  readonly groups: readonly string[];
}

/** An ID token and when it stops being valid (epoch ms). */
export interface DevToken {
  readonly idToken: string;
  readonly expiresAt: number;
}

/** Renew a token this long before it expires, so no request goes out with a dying one. */
const RENEW_BEFORE_MS = 60_000;

async function getJson(url: string, init?: RequestInit): Promise<unknown> {
  const response = await fetch(url, { ...init, cache: 'no-store' });
  const text = await response.text();
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = JSON.parse(text) as { message?: unknown };
      if (typeof body.message === 'string') message = body.message;
    } catch {
      // Not JSON: keep the status line.
    }
    throw new Error(`${init?.method ?? 'GET'} ${url} failed: ${message}`);
  }
  return JSON.parse(text) as unknown;
}

function isString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Reads the local stack's endpoints from the page's own origin. */
export async function loadLocalInfo(origin: string = window.location.origin): Promise<LocalInfo> {
  const body = (await getJson(new URL('/_local/info', origin).toString())) as Partial<LocalInfo> | null;
  if (!body || !isString(body.apiUrl) || !isString(body.wsUrl) || !isString(body.identity)) {
    throw new Error('GET /_local/info did not name apiUrl, wsUrl and identity.');
  }
  return {
    apiUrl: body.apiUrl,
    wsUrl: body.wsUrl,
    identity: body.identity,
    users: Array.isArray(body.users) ? body.users.filter(isString) : [],
  };
}

/** `GET {identity}/users`: the dev users one can sign in as. */
export async function listDevUsers(identity: string): Promise<DevUser[]> {
  const body = await getJson(`${identity}/users`);
  if (!Array.isArray(body)) throw new Error('The identity provider did not list users.');
  return body
    .filter((u): u is { username: string; groups?: unknown } =>
      isString((u as { username?: unknown }).username),
    )
    .map((u) => ({
      username: u.username,
      groups: Array.isArray(u.groups) ? u.groups.filter(isString) : [],
    }));
}

/** `POST {identity}/token {username}`: the dev sign-in. */
export async function fetchDevToken(identity: string, username: string): Promise<DevToken> {
  const body = (await getJson(`${identity}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username }),
  })) as { idToken?: unknown; expiresIn?: unknown };
  if (!isString(body.idToken) || typeof body.expiresIn !== 'number') {
    throw new Error('The identity provider answered without an idToken.');
  }
  return { idToken: body.idToken, expiresAt: Date.now() + body.expiresIn * 1000 };
}

/**
 * A `getToken` for the SDK: the sign-in token, renewed shortly before it expires. The SDK calls
 * it for every request and every (re)connect, so a long session never sends a stale token.
 */
export function devTokenProvider(identity: string, username: string, first: DevToken): () => Promise<string> {
  let current = first;
  let renewing: Promise<DevToken> | undefined;
  return async () => {
    if (current.expiresAt - Date.now() > RENEW_BEFORE_MS) return current.idToken;
    renewing ??= fetchDevToken(identity, username).finally(() => {
      renewing = undefined;
    });
    current = await renewing;
    return current.idToken;
  };
}
