import {
  APP_REST_ENDPOINTS,
  type RestEndpoint,
  type RestRequest,
  type RestResponse,
  type RestResponseBody,
  type RestRouteName,
  restPath,
  type UPLOAD_PART_ENDPOINTS,
} from '@herald/protocol/wire';
import { invalidArgument } from './errors.ts';
import { expectShape, malformed, type Requester, type Shape } from './http.ts';

// The REST layer: one typed call per route of `@herald/protocol`, built from the route's method
// and path template; requests and answers typed from the route's contract (types only, so no zod
// reaches the bundle). Answers get light runtime checks instead of the zod schemas. The core
// `client.rest` has the routes an app uses; the admin and device routes, rarely called, live in
// the `/admin` and `/devices` entries with their checks, so browser bundles that do not import
// them do not carry them.

/**
 * The admin routes (file grants, topic grants, topic publishing; admins only):
 * `@herald/client-sdk/admin`.
 *
 * @example
 * const name: AdminRouteName = 'listGrants';
 */
export type AdminRouteName =
  | 'listGrants'
  | 'createGrant'
  | 'deleteGrant'
  | 'listTopicGrants'
  | 'createTopicGrant'
  | 'deleteTopicGrant'
  | 'publishTopicEvent';

/**
 * The push-device routes: `@herald/client-sdk/devices`.
 *
 * @example
 * const name: DeviceRouteName = 'registerDevice';
 */
export type DeviceRouteName = 'registerDevice' | 'deleteDevice';

/**
 * The multipart-upload routes (presign parts, list, complete, abort): `@herald/client-sdk/multipart`.
 *
 * @example
 * const name: MultipartRouteName = 'getUpload';
 */
export type MultipartRouteName = keyof typeof UPLOAD_PART_ENDPOINTS;

/**
 * The routes of the core `client.rest`: every route but the admin, device and multipart ones, so
 * a route the protocol adds lands here (and needs its checks) unless it is placed in a subpath entry.
 *
 * @example
 * const name: CoreRouteName = 'getJob';
 */
export type CoreRouteName = Exclude<RestRouteName, AdminRouteName | DeviceRouteName | MultipartRouteName>;

/**
 * Options of a single REST call.
 *
 * @example
 * await client.job(jobId, { signal: AbortSignal.timeout(5_000) });
 */
export interface CallOptions {
  readonly signal?: AbortSignal;
}

/**
 * What one call of `client.rest.<name>` takes: the route's `params`, `query` and `body` (each
 * only where the route has it) and an optional `signal`.
 *
 * @example
 * const call: RestCall<'getJob'> = { params: { id: jobId }, signal };
 */
export type RestCall<Name extends RestRouteName> = RestRequest<Name> & CallOptions;

/**
 * One typed function per REST route, by the route's name: it answers `{ status, body }` for each
 * success the route documents and rejects with a {@link HeraldClientError} otherwise. `client.rest`
 * is a `RestApi` of the {@link CoreRouteName | core routes}; `adminApi(client)` and
 * `deviceApi(client)` are those of the admin and device routes.
 *
 * @example
 * const { body: job } = await client.rest.getJob({ params: { id: jobId } });
 * const { body: page } = await client.rest.listJobs({ query: { limit: 50 } });
 */
export type RestApi<Names extends RestRouteName = CoreRouteName> = {
  readonly [Name in Names]: (
    ...call: Partial<RestCall<Name>> extends RestCall<Name> ? [call?: RestCall<Name>] : [call: RestCall<Name>]
  ) => Promise<RestResponse<Name>>;
};

/**
 * The check of one field: its `typeof`, or (for an object) its own fields. Optional and nullable
 * fields have none: the check refuses `undefined` and `null`.
 */
type FieldCheck<T> = [T] extends [string]
  ? 'string'
  : [T] extends [number]
    ? 'number'
    : [T] extends [boolean]
      ? 'boolean'
      : [T] extends [readonly unknown[]]
        ? 'object'
        : [T] extends [object]
          ? 'object' | BodyCheck<T>
          : never;
type BodyCheck<T> = { readonly [Field in keyof T]?: FieldCheck<T[Field]> };

/** Per documented status, the fields checked in its body; `null` for a status without a body. */
type AnswerChecks<Name extends RestRouteName> = {
  readonly [Status in RestResponse<Name>['status']]: RestResponseBody<Name, Status> extends undefined
    ? null
    : BodyCheck<RestResponseBody<Name, Status>>;
};

/**
 * The light guards of some routes' answers, typed from their contracts: a field can only be
 * checked with its own type, and every documented status must be listed (an undocumented one is
 * refused as `INVALID_RESPONSE`).
 *
 * @example
 * const checks: AnswerChecksOf<'getJob'> = { getJob: { 200: { jobId: 'string', state: 'string' } } };
 */
export type AnswerChecksOf<Names extends RestRouteName> = { readonly [Name in Names]: AnswerChecks<Name> };

const CORE_CHECKS: AnswerChecksOf<CoreRouteName> = {
  whoami: { 200: { userId: 'string', username: 'string', groups: 'object' } },
  createUpload: { 201: { jobId: 'string', upload: { method: 'string' } } },
  listJobs: { 200: { jobs: 'object' } },
  getJob: { 200: { jobId: 'string', state: 'string' } },
  getJobErrors: { 200: { jobId: 'string', rowErrors: 'object' } },
  cancelJob: { 200: {}, 202: {} },
  createFileLink: {
    200: { url: 'string', expiresAt: 'string', size: 'number', contentType: 'string', fileName: 'string' },
    202: { requestId: 'string' },
  },
  createTicket: { 201: { ticket: 'string', expiresAt: 'string' } },
};

/**
 * Where the routes of an API live: a group of `REST_ENDPOINTS` holding at least those routes.
 * Passed in rather than imported, so the core bundle holds only the group its routes are in.
 *
 * @example
 * const endpoints: RouteEndpoints<'getJob'> = APP_REST_ENDPOINTS;
 */
export type RouteEndpoints<Names extends RestRouteName> = { readonly [Name in Names]: RestEndpoint };

/** A call as the layer handles it, whatever the route. */
interface AnyCall extends CallOptions {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
}

/**
 * The typed calls of the routes `checks` lists, over a {@link Requester}; `endpoints` says where
 * they live (a group of `@herald/protocol/wire`, so the core bundle carries only its own).
 *
 * @example
 * const rest = createRestApi(requester, { whoami: { 200: { userId: 'string' } } }, APP_REST_ENDPOINTS);
 * const { body: user } = await rest.whoami();
 */
export function createRestApi<Names extends RestRouteName>(
  request: Requester,
  checks: AnswerChecksOf<Names>,
  endpoints: RouteEndpoints<Names>,
): RestApi<Names> {
  const call = async (name: Names, { params = {}, query, body, signal }: AnyCall = {}) => {
    const { method, path: template } = endpoints[name];
    let path: string;
    try {
      path = restPath<string>(template, params);
    } catch (err) {
      throw invalidArgument(`${name}: ${(err as Error).message}`);
    }
    const answer = await request(method, path, { query, body, signal });
    const what = `${method} ${path}`;
    const check = (checks[name] as Readonly<Record<number, Shape | null>>)[answer.status];
    // A status the route does not document is refused like a malformed body: the types promise only documented ones.
    if (check === undefined) throw malformed(what, `status ${answer.status}`);
    if (check !== null) expectShape(answer.body, what, check);
    return answer;
  };
  const names = Object.keys(checks) as Names[];
  // Object.fromEntries forgets the per-route signatures; `RestApi` states them, and `call`
  // checks each answer against the documented statuses of the route it was made for.
  return Object.fromEntries(
    names.map((name) => [name, (input?: AnyCall) => call(name, input)]),
  ) as unknown as RestApi<Names>;
}

/** Each client's requester, for the subpath entries' calls (`adminApi`, `deviceApi`). */
const requesters = new WeakMap<object, Requester>();

/**
 * The core `client.rest` of a client, which also lends its requester (token, base URL, timeout,
 * `fetch`) to {@link restApiOf}.
 *
 * @example
 * this.rest = coreRestApi(this, createRequester(options, fetch));
 */
export function coreRestApi(client: object, request: Requester): RestApi {
  requesters.set(client, request);
  return createRestApi(request, CORE_CHECKS, APP_REST_ENDPOINTS);
}

/**
 * The typed calls of other routes (`checks`), through a client's requester: what the subpath
 * entries build their APIs from. A client not made by `createHeraldClient` is `INVALID_ARGUMENT`.
 *
 * @example
 * const admin = restApiOf(client, GRANT_CHECKS, REST_ENDPOINTS);
 */
export function restApiOf<Names extends RestRouteName>(
  client: object,
  checks: AnswerChecksOf<Names>,
  endpoints: RouteEndpoints<Names>,
): RestApi<Names> {
  const request = requesters.get(client);
  if (!request) throw invalidArgument('Pass a client made by createHeraldClient.');
  return createRestApi(request, checks, endpoints);
}
