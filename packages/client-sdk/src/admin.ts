import { REST_ENDPOINTS } from '@herald/protocol/wire';
import type { HeraldClient } from './client.ts';
import { type AdminRouteName, type AnswerChecksOf, type RestApi, restApiOf } from './rest.ts';

// `@herald/client-sdk/admin`: file-grant and topic-grant management and topic publishing, which
// only admins call; kept out of the core entry so app bundles do not carry it.

const GRANT_CHECKS: AnswerChecksOf<AdminRouteName> = {
  listGrants: { 200: { grants: 'object' } },
  createGrant: { 201: { id: 'string', pathPrefix: 'string', group: 'string' } },
  deleteGrant: { 204: null },
  listTopicGrants: { 200: { topic: 'string', grants: 'object' } },
  createTopicGrant: { 201: { topic: 'string', group: 'string' } },
  deleteTopicGrant: { 204: null },
  publishTopicEvent: { 202: { topic: 'string', seq: 'number' } },
};

/**
 * The admin routes (`GET`/`POST /admin/grants`, `DELETE /admin/grants/{id}`, the topic grants
 * under `/admin/topics/{topic}/grants` and `POST /admin/topics/{topic}/events`) as typed
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
 * await admin.createTopicGrant({ params: { topic: 'ops.deploys' }, body: { group: 'ops' } });
 * await admin.publishTopicEvent({ params: { topic: 'announcements' }, body: { title: 'Hi', body: 'All' } });
 */
export function adminApi(client: HeraldClient): RestApi<AdminRouteName> {
  return restApiOf(client, GRANT_CHECKS, REST_ENDPOINTS);
}
