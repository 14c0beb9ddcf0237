import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HandlerRef, HttpRoute } from '@herald/protocol';
import { errorEnvelope, LIMITS, matchPath } from '@herald/protocol';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import {
  decodeSegment,
  formatRequestTime,
  headerMaps,
  queryMaps,
  readBody,
  sendJson,
  sourceIpOf,
} from './http.ts';
import type { GatewayLog, InvokeHandler } from './types.ts';

/** API Gateway REST payload quota: 10 MB. */
export const REST_MAX_BODY_BYTES = LIMITS.restPayloadBytes;

/** API Gateway's console/CDK default for `Access-Control-Allow-Headers` (`Cors.DEFAULT_HEADERS`). */
const DEFAULT_ALLOW_HEADERS = 'Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token';

/** Hop-by-hop and framing headers Node computes itself; a handler's copy would corrupt the response. */
const DROPPED_RESPONSE_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

export interface RestContext {
  readonly routes: readonly HttpRoute[];
  readonly invoke: InvokeHandler;
  readonly verifyToken: (token: string) => Promise<Record<string, unknown> | undefined>;
  readonly stage: string;
  readonly apiId: string;
  readonly accountId: string;
  readonly corsOrigins: readonly string[] | '*';
  readonly log: GatewayLog;
  readonly track: <T>(work: Promise<T>) => Promise<T>;
}

const INTEGRATION_TIMEOUT = Symbol('integration timeout');

function describe(ref: HandlerRef): string {
  return `${ref.package}/${ref.name}`;
}

interface ResourceMatch {
  readonly template: string;
  readonly routes: readonly HttpRoute[];
  readonly rawParams: Record<string, string>;
}

/** Literal segments beat `{param}`, which beats `{param+}` — API Gateway picks the most specific resource. */
function segmentRank(segment: string): number {
  if (/^\{\w+\+\}$/.test(segment)) return 0;
  if (/^\{\w+\}$/.test(segment)) return 1;
  return 2;
}

function compareSpecificity(a: string, b: string): number {
  const sa = a.split('/').filter(Boolean);
  const sb = b.split('/').filter(Boolean);
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const ra = sa[i] === undefined ? -1 : segmentRank(sa[i] as string);
    const rb = sb[i] === undefined ? -1 : segmentRank(sb[i] as string);
    if (ra !== rb) return rb - ra;
  }
  return 0;
}

/**
 * API Gateway resolves the resource (path template) first and the method second: a request for
 * a known path with an unconfigured method does not fall through to a less specific resource.
 */
export function resolveResource(routes: readonly HttpRoute[], rawPath: string): ResourceMatch | undefined {
  const templates = [...new Set(routes.map((r) => r.path))].sort(compareSpecificity);
  for (const template of templates) {
    const rawParams = matchPath(template, rawPath);
    if (rawParams) return { template, routes: routes.filter((r) => r.path === template), rawParams };
  }
  return undefined;
}

/**
 * API Gateway (REST) URL-decodes path parameters before the Lambda sees them. `matchPath` runs
 * on the raw path so an encoded `/` (`%2F`) stays inside its segment, then each value is decoded.
 */
function decodeParams(raw: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) out[name] = value.split('/').map(decodeSegment).join('/');
  return out;
}

/**
 * API Gateway's Cognito authorizer hands claims to the integration as strings: a list such as
 * `cognito:groups` arrives comma-joined, numbers and booleans stringified.
 * (REST APIs additionally render `exp`/`iat` as dates, e.g. `Wed Mar 25 20:10:57 UTC 2020`;
 * not emulated — handlers must not read them.)
 */
export function claimsAsStrings(claims: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (value === undefined) continue;
    if (typeof value === 'string') out[name] = value;
    else if (Array.isArray(value))
      out[name] = value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(',');
    else if (typeof value === 'object') out[name] = JSON.stringify(value);
    else out[name] = String(value);
  }
  return out;
}

/**
 * API Gateway passes bodies as text unless the content type is one of the API's
 * `binaryMediaTypes`; locally every non-text type is treated as binary (base64).
 */
function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return true;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/x-www-form-urlencoded' ||
    type === 'application/javascript' ||
    type === 'application/graphql'
  );
}

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const value = header.trim();
  const token = /^bearer\s+/i.test(value) ? value.replace(/^bearer\s+/i, '') : value;
  return token.length > 0 ? token : undefined;
}

interface ProxyResult {
  readonly statusCode: number;
  readonly headers: Record<string, string[]>;
  readonly body: Buffer;
}

function isPrimitive(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/**
 * Validates a Lambda proxy result the way API Gateway does: anything else is a "Malformed
 * Lambda proxy response" and the client gets a 502. When both `headers` and
 * `multiValueHeaders` carry a name, the multi-value list wins.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html#api-gateway-simple-proxy-for-lambda-output-format
 */
export function parseProxyResult(value: unknown): ProxyResult | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  if (typeof r.statusCode !== 'number' || !Number.isInteger(r.statusCode)) return undefined;
  if (r.statusCode < 100 || r.statusCode > 599) return undefined;
  if (r.body !== undefined && r.body !== null && typeof r.body !== 'string') return undefined;
  if (r.isBase64Encoded !== undefined && typeof r.isBase64Encoded !== 'boolean') return undefined;
  const headers = new Map<string, { name: string; values: string[] }>();
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object') return undefined;
    for (const [name, v] of Object.entries(r.headers)) {
      if (!isPrimitive(v)) return undefined;
      headers.set(name.toLowerCase(), { name, values: [String(v)] });
    }
  }
  if (r.multiValueHeaders !== undefined && r.multiValueHeaders !== null) {
    if (typeof r.multiValueHeaders !== 'object') return undefined;
    for (const [name, vs] of Object.entries(r.multiValueHeaders)) {
      if (!Array.isArray(vs) || !vs.every(isPrimitive)) return undefined;
      headers.set(name.toLowerCase(), { name, values: vs.map(String) });
    }
  }
  const text = typeof r.body === 'string' ? r.body : '';
  const body = r.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  const out: Record<string, string[]> = {};
  for (const { name, values } of headers.values()) {
    if (!DROPPED_RESPONSE_HEADERS.has(name.toLowerCase())) out[name] = values;
  }
  return { statusCode: r.statusCode, headers: out, body };
}

function hasHeader(headers: Record<string, string[]>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

/** The REST API listener: route, authorize, build the proxy event, invoke, map the result. */
export function createRestListener(ctx: RestContext): (req: IncomingMessage, res: ServerResponse) => void {
  const allowedOrigin = (origin: string | undefined): string | undefined => {
    if (ctx.corsOrigins === '*') return '*';
    return origin !== undefined && ctx.corsOrigins.includes(origin) ? origin : undefined;
  };
  const corsHeaders = (req: IncomingMessage): Record<string, string> => {
    const origin = allowedOrigin(req.headers.origin);
    if (origin === undefined) return ctx.corsOrigins === '*' ? {} : { vary: 'Origin' };
    return ctx.corsOrigins === '*'
      ? { 'access-control-allow-origin': origin }
      : { 'access-control-allow-origin': origin, vary: 'Origin' };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const requestId = randomUUID();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rawPath = url.pathname;
    const cors = corsHeaders(req);
    const finish = (status: number, extra: Record<string, unknown> = {}): void =>
      ctx.log({
        level: status >= 500 ? 'error' : 'info',
        msg: 'rest request',
        requestId,
        method,
        path: rawPath,
        status,
        latencyMs: Date.now() - started,
        ...extra,
      });

    const resource = resolveResource(ctx.routes, rawPath);
    // Difference from AWS: an unknown resource or method gets API Gateway's
    // `403 {"message":"Missing Authentication Token"}` there; locally it is a 404/405 envelope
    // so a typo in a path is obvious.
    if (!resource) {
      sendJson(res, 404, errorEnvelope('ROUTE_NOT_FOUND', `No route for ${method} ${rawPath}.`), cors);
      finish(404);
      return;
    }
    const allowed = [...new Set(resource.routes.map((r) => r.method))];
    if (method === 'OPTIONS') {
      // The CORS preflight API Gateway answers with a MOCK integration (CDK
      // `defaultCorsPreflightOptions`); it never reaches a Lambda or an authorizer.
      const requested = req.headers['access-control-request-headers'];
      res.writeHead(204, {
        ...cors,
        'access-control-allow-methods': [...allowed, 'OPTIONS'].join(','),
        'access-control-allow-headers': requested ?? DEFAULT_ALLOW_HEADERS,
        'access-control-max-age': '600',
      });
      res.end();
      finish(204);
      return;
    }
    const route = resource.routes.find((r) => r.method === method);
    if (!route) {
      sendJson(
        res,
        405,
        errorEnvelope(
          'METHOD_NOT_ALLOWED',
          `${rawPath} does not accept ${method}; it accepts ${allowed.join(', ')}.`,
        ),
        { ...cors, allow: allowed.join(', ') },
      );
      finish(405);
      return;
    }

    let claims: Record<string, string> | undefined;
    if (route.auth === 'cognito') {
      // Difference from AWS: the Cognito authorizer answers `401 {"message":"Unauthorized"}`;
      // locally the same status carries the Herald envelope.
      const token = bearerToken(req.headers.authorization);
      if (!token) {
        sendJson(
          res,
          401,
          errorEnvelope('UNAUTHENTICATED', 'Sign in: the Authorization header is missing.'),
          cors,
        );
        finish(401);
        return;
      }
      let verified: Record<string, unknown> | undefined;
      try {
        verified = await ctx.verifyToken(token);
      } catch (err) {
        // The token itself is never logged.
        ctx.log({ level: 'warn', msg: 'token verification threw', requestId, error: String(err) });
      }
      if (!verified) {
        sendJson(
          res,
          401,
          errorEnvelope('UNAUTHENTICATED', 'The access token is invalid or expired; sign in again.'),
          cors,
        );
        finish(401);
        return;
      }
      claims = claimsAsStrings(verified);
    }

    const read = await readBody(req, REST_MAX_BODY_BYTES);
    if (!read.ok) {
      sendJson(res, 413, errorEnvelope('PAYLOAD_TOO_LARGE', 'The request body exceeds 10 MiB.'), cors);
      finish(413);
      return;
    }
    const contentType = req.headers['content-type'];
    const binary = read.body.length > 0 && !isTextContentType(contentType);
    const { headers, multiValueHeaders } = headerMaps(req.rawHeaders);
    const query = queryMaps(url.searchParams);
    const pathParameters = decodeParams(resource.rawParams);
    const event: APIGatewayProxyEvent = {
      resource: resource.template,
      path: rawPath,
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters: query.queryStringParameters,
      multiValueQueryStringParameters: query.multiValueQueryStringParameters,
      pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
      stageVariables: null,
      body: read.body.length === 0 ? null : read.body.toString(binary ? 'base64' : 'utf8'),
      isBase64Encoded: binary,
      requestContext: {
        accountId: ctx.accountId,
        apiId: ctx.apiId,
        // No authorizer on the route: API Gateway omits `authorizer` entirely.
        authorizer: claims ? { claims } : undefined,
        domainName: req.headers.host ?? 'localhost',
        domainPrefix: (req.headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
        extendedRequestId: randomBytes(12).toString('base64'),
        httpMethod: method,
        identity: {
          accessKey: null,
          accountId: null,
          apiKey: null,
          apiKeyId: null,
          caller: null,
          clientCert: null,
          cognitoAuthenticationProvider: null,
          cognitoAuthenticationType: null,
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          principalOrgId: null,
          sourceIp: sourceIpOf(req),
          user: null,
          userAgent: req.headers['user-agent'] ?? null,
          userArn: null,
        },
        path: `/${ctx.stage}${rawPath}`,
        protocol: `HTTP/${req.httpVersion}`,
        requestId,
        requestTime: formatRequestTime(started),
        requestTimeEpoch: started,
        resourceId: randomBytes(3).toString('hex'),
        resourcePath: resource.template,
        stage: ctx.stage,
      },
    };

    let result: ProxyResult | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const raw = await Promise.race([
        ctx.track(ctx.invoke(route.handler, event)),
        new Promise<typeof INTEGRATION_TIMEOUT>((resolve) => {
          timer = setTimeout(() => resolve(INTEGRATION_TIMEOUT), LIMITS.integrationTimeoutMs);
        }),
      ]);
      if (raw === INTEGRATION_TIMEOUT) {
        // API Gateway stops waiting at its integration timeout, whatever the Lambda's own timeout.
        ctx.log({
          level: 'error',
          msg: 'integration timed out',
          requestId,
          handler: describe(route.handler),
        });
        sendJson(
          res,
          504,
          { message: 'Endpoint request timed out' },
          {
            ...cors,
            'x-amzn-errortype': 'IntegrationTimeoutException',
          },
        );
        finish(504);
        return;
      }
      result = parseProxyResult(raw);
      if (!result) {
        ctx.log({
          level: 'error',
          msg: 'malformed Lambda proxy response',
          requestId,
          handler: describe(route.handler),
        });
      }
    } catch (err) {
      ctx.log({
        level: 'error',
        msg: 'handler failed',
        requestId,
        handler: describe(route.handler),
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    } finally {
      clearTimeout(timer);
    }
    if (!result) {
      // What API Gateway answers when the Lambda throws, times out or returns a malformed result.
      sendJson(
        res,
        502,
        { message: 'Internal server error' },
        { ...cors, 'x-amzn-errortype': 'InternalServerErrorException' },
      );
      finish(502);
      return;
    }
    const out: Record<string, string[]> = { ...result.headers };
    // A Lambda proxy result without Content-Type goes out as application/json on REST APIs.
    if (!hasHeader(out, 'content-type')) out['content-type'] = ['application/json'];
    // Difference from AWS: with proxy integrations API Gateway adds no CORS header to the
    // Lambda's response (the handler must); locally the configured origin is added when absent.
    for (const [name, value] of Object.entries(cors)) if (!hasHeader(out, name)) out[name] = [value];
    out['x-amzn-requestid'] = [requestId];
    out['content-length'] = [String(result.body.length)];
    res.writeHead(result.statusCode, out);
    res.end(result.body);
    finish(result.statusCode);
  };

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      ctx.log({ level: 'error', msg: 'rest gateway failure', error: String(err) });
      if (!res.headersSent) sendJson(res, 500, errorEnvelope('INTERNAL', 'The local gateway failed.'));
      else res.destroy();
    });
  };
}
