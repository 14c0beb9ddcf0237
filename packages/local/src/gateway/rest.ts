import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LIMITS, matchPath } from '@herald/protocol';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { decodeSegment, formatRequestTime, headerMaps, queryMaps, readBody, sourceIpOf } from './http.ts';
import type {
  GatewayHttpRoute,
  GatewayLog,
  GatewayResponder,
  GatewayResponseType,
  InvokeHandler,
} from './types.ts';

/** API Gateway REST payload quota: 10 MB. */
export const REST_MAX_BODY_BYTES = LIMITS.restPayloadBytes;

/** Hop-by-hop and framing headers Node computes itself; a handler's copy would corrupt the response. */
const DROPPED_RESPONSE_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

export interface RestContext {
  readonly routes: readonly GatewayHttpRoute[];
  readonly invoke: InvokeHandler;
  readonly verifyToken: (token: string) => Promise<Record<string, unknown> | undefined>;
  readonly stage: string;
  readonly apiId: string;
  readonly accountId: string;
  /** API Gateway's own answers and the CORS preflights, as the API declares them. */
  readonly responses: GatewayResponder;
  readonly log: GatewayLog;
  readonly track: <T>(work: Promise<T>) => Promise<T>;
}

const INTEGRATION_TIMEOUT = Symbol('integration timeout');

interface ResourceMatch {
  readonly template: string;
  readonly routes: readonly GatewayHttpRoute[];
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
export function resolveResource(
  routes: readonly GatewayHttpRoute[],
  rawPath: string,
): ResourceMatch | undefined {
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
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const requestId = randomUUID();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rawPath = url.pathname;
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
    /** API Gateway answering by itself: a gateway response of the API (never CORS of its own). */
    const gatewayAnswer = (type: GatewayResponseType, extraHeaders: Record<string, string> = {}): void => {
      const answer = ctx.responses.render(type, req.headers);
      res.writeHead(answer.statusCode, {
        'content-type': 'application/json',
        ...answer.headers,
        ...extraHeaders,
        'x-amzn-requestid': requestId,
        'content-length': String(Buffer.byteLength(answer.body)),
      });
      res.end(answer.body);
      finish(answer.statusCode, { gatewayResponse: type });
    };

    const resource = resolveResource(ctx.routes, rawPath);
    if (method === 'OPTIONS' && resource) {
      // The CORS preflight: a MOCK integration of the resource (CDK `defaultCorsPreflightOptions`);
      // it never reaches a Lambda or an authorizer.
      const preflight = ctx.responses.preflight(resource.template, req.headers);
      if (preflight) {
        res.writeHead(204, { ...preflight, 'x-amzn-requestid': requestId });
        res.end();
        finish(204);
        return;
      }
    }
    // A path or method the API does not have: API Gateway's MISSING_AUTHENTICATION_TOKEN answer.
    const route = resource?.routes.find((r) => r.method === method);
    if (!resource || !route) {
      gatewayAnswer('MISSING_AUTHENTICATION_TOKEN');
      return;
    }

    let claims: Record<string, string> | undefined;
    if (route.auth === 'cognito') {
      const token = bearerToken(req.headers.authorization);
      let verified: Record<string, unknown> | undefined;
      if (token) {
        try {
          verified = await ctx.verifyToken(token);
        } catch (err) {
          // The token itself is never logged.
          ctx.log({ level: 'warn', msg: 'token verification threw', requestId, error: String(err) });
        }
      }
      if (!verified) {
        gatewayAnswer('UNAUTHORIZED');
        return;
      }
      claims = claimsAsStrings(verified);
    }

    const read = await readBody(req, REST_MAX_BODY_BYTES);
    if (!read.ok) {
      gatewayAnswer('REQUEST_TOO_LARGE');
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
        ctx.track(ctx.invoke(route.target, event)),
        new Promise<typeof INTEGRATION_TIMEOUT>((resolve) => {
          timer = setTimeout(() => resolve(INTEGRATION_TIMEOUT), LIMITS.integrationTimeoutMs);
        }),
      ]);
      if (raw === INTEGRATION_TIMEOUT) {
        // API Gateway stops waiting at its integration timeout, whatever the Lambda's own timeout.
        ctx.log({ level: 'error', msg: 'integration timed out', requestId, target: route.target });
        gatewayAnswer('INTEGRATION_TIMEOUT', { 'x-amzn-errortype': 'IntegrationTimeoutException' });
        return;
      }
      result = parseProxyResult(raw);
      if (!result) {
        ctx.log({ level: 'error', msg: 'malformed Lambda proxy response', requestId, target: route.target });
      }
    } catch (err) {
      ctx.log({
        level: 'error',
        msg: 'handler failed',
        requestId,
        target: route.target,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    } finally {
      clearTimeout(timer);
    }
    if (!result) {
      // What API Gateway answers when the Lambda throws, times out or returns a malformed result.
      gatewayAnswer('DEFAULT_5XX', { 'x-amzn-errortype': 'InternalServerErrorException' });
      return;
    }
    const out: Record<string, string[]> = { ...result.headers };
    // A Lambda proxy result without Content-Type goes out as application/json on REST APIs.
    if (!hasHeader(out, 'content-type')) out['content-type'] = ['application/json'];
    // A proxy integration's response goes out as the Lambda returned it: CORS headers, if any,
    // are the handler's (API Gateway adds none).
    out['x-amzn-requestid'] = [requestId];
    out['content-length'] = [String(result.body.length)];
    res.writeHead(result.statusCode, out);
    res.end(result.body);
    finish(result.statusCode);
  };

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      ctx.log({ level: 'error', msg: 'rest gateway failure', error: String(err) });
      if (!res.headersSent)
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Internal server error"}');
      else res.destroy();
    });
  };
}
