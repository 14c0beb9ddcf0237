import { BASE_REST_ENDPOINTS } from '@herald/protocol/wire';
import type { HeraldClient } from './client.ts';
import { type AdminRouteName, type AnswerChecksOf, type RestApi, restApiOf } from './rest.ts';

// `@herald/client-sdk/admin`: file-grant management, which only admins call; kept out of the
// core entry so app bundles do not carry it.

const GRANT_CHECKS: AnswerChecksOf<AdminRouteName> = {
  listGrants: { 200: { grants: 'object' } },
  createGrant: { 201: { id: 'string', pathPrefix: 'string', group: 'string' } },
  deleteGrant: { 204: null },
};

/**
 * The grant-management routes (`GET`/`POST /admin/grants`, `DELETE /admin/grants/{id}`) as typed
 * calls through a client's token and settings, like `client.rest`: each answers
 * `{ status, body }` for the successes the route documents and rejects with a
 * `HeraldClientError` otherwise. The server allows them to admins only.
 *
 * @example
 * import { adminApi } from '@herald/client-sdk/admin';
 *
 * const admin = adminApi(client);
 * const { body } = await admin.listGrants();
 * await admin.createGrant({ body: { pathPrefix: 'reports/', group: 'analysts' } });
 * await admin.deleteGrant({ params: { id: body.grants[0].id } });
 */
export function adminApi(client: HeraldClient): RestApi<AdminRouteName> {
  return restApiOf(client, GRANT_CHECKS, BASE_REST_ENDPOINTS);
}
