import {
  REST_ENDPOINTS,
  type RestRequest,
  type RestResponse,
  type RestResponseBody,
  type RestRouteName,
  restPath,
} from '@herald/protocol/wire';
import { invalidArgument } from './errors.ts';
import { expectShape, malformed, type Requester, type Shape } from './http.ts';

// The REST layer: one typed call per route of `@herald/protocol`, built from the route's method
// and path template; requests and answers typed from the route's contract (types only, so no zod
// reaches the bundle). Answers get the light runtime checks below instead of the zod schemas.

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
 * success the route documents and rejects with a {@link HeraldClientError} otherwise.
 *
 * @example
 * const { body: job } = await client.rest.getJob({ params: { id: jobId } });
 * const { body: page } = await client.rest.listJobs({ query: { limit: 50 } });
 */
export type RestApi = {
  readonly [Name in RestRouteName]: (
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

const DEVICE = { platform: 'string', created: 'boolean' } as const;

/**
 * The light guards of each route's answers, typed from its contract: a field can only be checked
 * with its own type, and every documented status must be listed (an undocumented one is refused
 * as `INVALID_RESPONSE`).
 */
const ANSWER_CHECKS: { readonly [Name in RestRouteName]: AnswerChecks<Name> } = {
  whoami: { 200: { userId: 'string', username: 'string', groups: 'object' } },
  createUpload: { 201: { jobId: 'string', upload: { url: 'string', headers: 'object' } } },
  listJobs: { 200: { jobs: 'object' } },
  getJob: { 200: { jobId: 'string', state: 'string' } },
  getJobErrors: { 200: { jobId: 'string', rowErrors: 'object' } },
  createFileLink: {
    200: { url: 'string', expiresAt: 'string', size: 'number', contentType: 'string', fileName: 'string' },
    202: { requestId: 'string' },
  },
  listGrants: { 200: { grants: 'object' } },
  createGrant: { 201: { id: 'string', pathPrefix: 'string', group: 'string' } },
  deleteGrant: { 204: null },
  createTicket: { 201: { ticket: 'string', expiresAt: 'string' } },
  registerDevice: { 200: DEVICE, 201: DEVICE },
  deleteDevice: { 204: null },
};

/** A call as the layer handles it, whatever the route. */
interface AnyCall extends CallOptions {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
}

/**
 * The typed REST layer over a {@link Requester}: one function per route of `REST_ENDPOINTS`.
 *
 * @example
 * const rest = createRestApi(createRequester(options, fetch));
 * const { body: user } = await rest.whoami();
 */
export function createRestApi(request: Requester): RestApi {
  const call = async (name: RestRouteName, { params = {}, query, body, signal }: AnyCall = {}) => {
    const { method, path: template } = REST_ENDPOINTS[name];
    let path: string;
    try {
      path = restPath<string>(template, params);
    } catch (err) {
      throw invalidArgument(`${name}: ${(err as Error).message}`);
    }
    const answer = await request(method, path, { query, body, signal });
    const what = `${method} ${path}`;
    const checks: Readonly<Record<number, Shape | null>> = ANSWER_CHECKS[name];
    const check = checks[answer.status];
    // A status the route does not document is refused like a malformed body: the types promise only documented ones.
    if (check === undefined) throw malformed(what, `status ${answer.status}`);
    if (check !== null) expectShape(answer.body, what, check);
    return answer;
  };
  const names = Object.keys(REST_ENDPOINTS) as RestRouteName[];
  // Object.fromEntries forgets the per-route signatures; `RestApi` states them, and `call`
  // checks each answer against the documented statuses of the route it was made for.
  return Object.fromEntries(
    names.map((name) => [name, (input?: AnyCall) => call(name, input)]),
  ) as unknown as RestApi;
}
