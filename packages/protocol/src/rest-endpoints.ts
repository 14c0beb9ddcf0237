// Where each REST route lives: its stable name, HTTP method and API Gateway path template, as
// plain data. The route contracts (`rest-routes.ts`) take method and path from here, so they are
// written once; the client SDK builds its calls from here through the zod-free
// `@herald/protocol/wire` entry.

/**
 * An HTTP method a Herald REST route uses.
 *
 * @example
 * const method: HttpMethod = REST_ENDPOINTS.deleteGrant.method; // 'DELETE'
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Where a REST route lives: method and API Gateway path template (`/jobs/{id}`; `{name+}` is a
 * greedy parameter that may contain `/`).
 *
 * @example
 * const endpoint: RestEndpoint = { method: 'GET', path: '/jobs/{id}' };
 */
export interface RestEndpoint {
  readonly method: HttpMethod;
  readonly path: string;
}

/**
 * The routes an app calls, and the file-grant and device routes: every route but the
 * multipart-upload ones ({@link UPLOAD_PART_ENDPOINTS}) and the topic admin ones
 * ({@link TOPIC_ADMIN_ENDPOINTS}). A group of {@link REST_ENDPOINTS}, so the client SDK's core
 * bundle carries only the endpoints its `client.rest` can call.
 *
 * @example
 * const { method, path } = APP_REST_ENDPOINTS.getJob; // 'GET', '/jobs/{id}'
 */
export const APP_REST_ENDPOINTS = {
  whoami: { method: 'GET', path: '/me' },
  // Workflow 1: CSV ingest.
  createUpload: { method: 'POST', path: '/uploads' },
  listJobs: { method: 'GET', path: '/jobs' },
  getJob: { method: 'GET', path: '/jobs/{id}' },
  getJobErrors: { method: 'GET', path: '/jobs/{id}/errors' },
  cancelJob: { method: 'POST', path: '/jobs/{id}/cancel' },
  // Workflow 2: file delivery, deny by default; grants managed by admins.
  createFileLink: { method: 'POST', path: '/files/links' },
  listGrants: { method: 'GET', path: '/admin/grants' },
  createGrant: { method: 'POST', path: '/admin/grants' },
  deleteGrant: { method: 'DELETE', path: '/admin/grants/{id}' },
  // Realtime: one-time WebSocket tickets and the push-device registry.
  createTicket: { method: 'POST', path: '/realtime/tickets' },
  registerDevice: { method: 'POST', path: '/devices' },
  deleteDevice: { method: 'DELETE', path: '/devices/{token}' },
} as const satisfies Readonly<Record<string, RestEndpoint>>;

/**
 * The routes that continue a multipart upload `POST /uploads` started: presign more parts, list
 * the parts S3 holds (to resume), complete, abort. A group of their own so that a client bundle
 * which never uploads in parts does not carry them (esbuild keeps a whole object it references):
 * the client SDK's core entry has a size budget, and these live in its `/multipart` entry.
 *
 * @example
 * const { method, path } = UPLOAD_PART_ENDPOINTS.getUpload; // 'GET', '/uploads/{jobId}'
 */
export const UPLOAD_PART_ENDPOINTS = {
  presignUploadParts: { method: 'POST', path: '/uploads/{jobId}/parts' },
  getUpload: { method: 'GET', path: '/uploads/{jobId}' },
  completeUpload: { method: 'POST', path: '/uploads/{jobId}/complete' },
  abortUpload: { method: 'DELETE', path: '/uploads/{jobId}' },
} as const satisfies Readonly<Record<string, RestEndpoint>>;

/**
 * Shared topics: grants managed and events published by admins (subscribing is a WebSocket
 * action). A group of {@link REST_ENDPOINTS}, used by the SDK's `/admin` entry only.
 *
 * @example
 * const { method, path } = TOPIC_ADMIN_ENDPOINTS.publishTopicEvent; // 'POST', '/admin/topics/{topic}/events'
 */
export const TOPIC_ADMIN_ENDPOINTS = {
  listTopicGrants: { method: 'GET', path: '/admin/topics/{topic}/grants' },
  createTopicGrant: { method: 'POST', path: '/admin/topics/{topic}/grants' },
  deleteTopicGrant: { method: 'DELETE', path: '/admin/topics/{topic}/grants/{group}' },
  publishTopicEvent: { method: 'POST', path: '/admin/topics/{topic}/events' },
} as const satisfies Readonly<Record<string, RestEndpoint>>;

/**
 * Every REST route by its stable name (the OpenAPI `operationId`). Renaming one is a breaking
 * change for SDK callers (`client.rest.<name>`); the order is the order of the docs.
 *
 * @example
 * const { method, path } = REST_ENDPOINTS.getJob; // 'GET', '/jobs/{id}'
 */
// A pure call, so a bundle that uses only some groups drops this union (a spread is kept).
export const REST_ENDPOINTS: typeof APP_REST_ENDPOINTS &
  typeof UPLOAD_PART_ENDPOINTS &
  typeof TOPIC_ADMIN_ENDPOINTS = /* @__PURE__ */ Object.assign(
  {},
  APP_REST_ENDPOINTS,
  UPLOAD_PART_ENDPOINTS,
  TOPIC_ADMIN_ENDPOINTS,
);

/**
 * The stable name of a REST route.
 *
 * @example
 * const name: RestRouteName = 'getJob';
 */
export type RestRouteName = keyof typeof REST_ENDPOINTS;

/**
 * The parameter names of a path template; a greedy `{path+}` gives `'path'`.
 *
 * @example
 * type Names = PathParamName<'/a/{x}/{rest+}'>; // 'x' | 'rest'
 */
export type PathParamName<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}`
  ? (Name extends `${infer Greedy}+` ? Greedy : Name) | PathParamName<Rest>
  : never;

/**
 * One string per parameter of a path template.
 *
 * @example
 * const params: PathParams<'/jobs/{id}'> = { id: jobId };
 */
export type PathParams<Path extends string> = { readonly [Name in PathParamName<Path>]: string };

/**
 * Fills a path template with URL-encoded parameters. A greedy `{name+}` keeps its `/` as
 * separators and encodes each segment, as API Gateway decodes it. Throws a `TypeError` for a
 * missing or empty parameter: it would address another resource.
 *
 * @example
 * restPath('/devices/{token}', { token: 'fcm:a/b' }); // '/devices/fcm%3Aa%2Fb'
 * restPath('/files/{path+}', { path: 'q3 report/a.csv' }); // '/files/q3%20report/a.csv'
 */
export function restPath<Path extends string>(template: Path, params: PathParams<Path>): string {
  const values: Readonly<Record<string, unknown>> = params;
  return template.replace(/\{(\w+)(\+?)\}/g, (_, name: string, greedy: string) => {
    const value = values[name];
    if (typeof value !== 'string' || value === '') {
      throw new TypeError(`${template} needs a non-empty string \`${name}\`.`);
    }
    return greedy ? value.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(value);
  });
}

/**
 * Matches a path against an API Gateway path template; `{name}` and `{name+}` capture their
 * (still encoded) segments. `undefined` when the path does not match.
 *
 * @example
 * matchPath('/jobs/{id}', '/jobs/123'); // { id: '123' }
 */
export function matchPath(template: string, path: string): Record<string, string> | undefined {
  const t = template.split('/').filter(Boolean);
  const p = path.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const seg = t[i] as string;
    const greedy = /^\{(\w+)\+\}$/.exec(seg);
    if (greedy) {
      if (i >= p.length) return undefined;
      params[greedy[1] as string] = p.slice(i).join('/');
      return params;
    }
    const value = p[i];
    if (value === undefined) return undefined;
    const param = /^\{(\w+)\}$/.exec(seg);
    if (param) params[param[1] as string] = value;
    else if (seg !== value) return undefined;
  }
  return t.length === p.length ? params : undefined;
}
