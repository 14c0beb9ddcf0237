import type { GatewayResponder, GatewayResponseType, RenderedResponse } from './types.ts';

/**
 * API Gateway's own answers (the responses it sends without a Lambda), rendered as the REST API's
 * `AWS::ApiGateway::GatewayResponse` resources declare them, falling back as API Gateway does:
 * a type without its own response uses `DEFAULT_4XX`/`DEFAULT_5XX`, and without those AWS's
 * built-in `{"message": …}` with no extra headers — in particular no CORS header, so a browser
 * cannot read such an answer. Header values are static (`'…'`) or `method.request.header.<name>`.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
 */

/** AWS's status and message for each type when the API declares no response for it. */
const AWS_DEFAULTS: Readonly<Record<GatewayResponseType, { status: number; message: string }>> = {
  UNAUTHORIZED: { status: 401, message: 'Unauthorized' },
  MISSING_AUTHENTICATION_TOKEN: { status: 403, message: 'Missing Authentication Token' },
  REQUEST_TOO_LARGE: { status: 413, message: 'Request Too Long' },
  INTEGRATION_TIMEOUT: { status: 504, message: 'Endpoint request timed out' },
  DEFAULT_5XX: { status: 502, message: 'Internal server error' },
};

/** A declared gateway response: status, header mappings (unresolved), body template. */
export interface GatewayResponseSpec {
  readonly type: string;
  /** Absent: the response keeps its type's own status (AWS's default for a DEFAULT_* type). */
  readonly statusCode?: number;
  /** Header → unresolved value (a quoted static value such as `'*'`, or a mapping expression). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

/** A declared `OPTIONS` mock: the origins it echoes and the headers it answers with. */
export interface PreflightSpec {
  readonly path: string;
  readonly allowedOrigins: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** `'static'` → static; `method.request.header.X` → the request's X (absent: omitted). */
function mapHeaders(mappings: Readonly<Record<string, string>>, request: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, mapping] of Object.entries(mappings)) {
    const quoted = /^'(.*)'$/s.exec(mapping);
    if (quoted) out[name] = quoted[1] as string;
    else if (mapping.startsWith('method.request.header.')) {
      const value = header(request, mapping.slice('method.request.header.'.length));
      if (value !== undefined) out[name] = value;
    }
  }
  return out;
}

/**
 * A responder from the REST API's declared gateway responses and preflight mocks.
 *
 * @example
 * const responder = gatewayResponder(model.restApi.gatewayResponses, model.restApi.preflights);
 * responder.render('UNAUTHORIZED', req.headers); // { statusCode: 401, headers: {...}, body: '{"code":"UNAUTHENTICATED",…}' }
 */
export function gatewayResponder(
  declared: readonly GatewayResponseSpec[] = [],
  preflights: readonly PreflightSpec[] = [],
): GatewayResponder {
  const byType = new Map(declared.map((r) => [r.type, r]));
  const byPath = new Map(preflights.map((p) => [p.path, p]));
  return {
    render(type, request): RenderedResponse {
      const fallback = AWS_DEFAULTS[type];
      const spec = byType.get(type) ?? byType.get(fallback.status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX');
      if (!spec)
        return {
          statusCode: fallback.status,
          headers: {},
          body: JSON.stringify({ message: fallback.message }),
        };
      // A DEFAULT_* response keeps the type's own status, and so does a specific one that states
      // none (API Gateway's default for the type); otherwise the stated status.
      const statusCode =
        byType.has(type) && spec.statusCode !== undefined ? spec.statusCode : fallback.status;
      return {
        statusCode,
        headers: mapHeaders(spec.headers, request),
        body: spec.body ?? JSON.stringify({ message: fallback.message }),
      };
    },
    preflight(resourcePath, request) {
      const spec = byPath.get(resourcePath);
      if (!spec) return undefined;
      // CDK's mock: a static first origin, overridden with the request's origin when it is one
      // of the others the response template tests for.
      const origin = header(request, 'origin');
      const headers: Record<string, string> = { ...spec.headers };
      if (origin !== undefined && spec.allowedOrigins.includes(origin))
        headers['Access-Control-Allow-Origin'] = origin;
      return headers;
    },
  };
}
