import { CreateFileGrantRequestSchema } from '@herald/protocol';
import { parseGroups } from '@herald/realtime';
import { type DepsProvider, getDeps } from '../compose.ts';
import { createGrant, requireAdmin } from '../core/file-grant-admin.ts';
import {
  errorResponse,
  type HttpResponse,
  handleHttp,
  type IngestHttpEvent,
  parseJsonBody,
  resultResponse,
} from './shared/http.ts';

/**
 * Builds `POST /admin/grants {pathPrefix, group}` → 201 grant (admins only). 400
 * `INVALID_PATH` / `VALIDATION_FAILED`, 409 `CONFLICT` for a grant that exists.
 */
export function makeHttpCreateGrantHandler(deps: DepsProvider<'grants' | 'newId' | 'clock' | 'log'>) {
  return async (event: IngestHttpEvent): Promise<HttpResponse> => {
    const d = deps();
    return handleHttp(event, d.log, 'POST /admin/grants', async (userId, log) => {
      const caller = {
        userId,
        groups: parseGroups(event.requestContext.authorizer?.claims?.['cognito:groups']),
      };
      const admitted = requireAdmin(caller, 'POST /admin/grants', log);
      if (!admitted.ok) return errorResponse(admitted.error);
      const request = parseJsonBody(event, CreateFileGrantRequestSchema);
      if (!request.ok) return errorResponse(request.error);
      return resultResponse(await createGrant(d, caller, request.value, log), 201);
    });
  };
}

export const handler = makeHttpCreateGrantHandler(getDeps);
