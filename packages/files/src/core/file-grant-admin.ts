import type { FileGrant, FileGrantList } from '@herald/protocol';
import type { Clock, Logger } from '@herald/runtime';
import { ok, type Result, refuse } from '@herald/runtime';
import type { FileGrantRecord, GrantRepository } from '../ports.ts';
import { ADMIN_GROUP, type Caller, checkGrant, isAdmin } from './file-grants.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A grant as the admin API shows it. */
export function toFileGrant(grant: FileGrantRecord): FileGrant {
  return {
    id: grant.id,
    pathPrefix: grant.pathPrefix,
    group: grant.group,
    createdBy: grant.createdBy,
    createdAt: grant.createdAt.toISOString(),
  };
}

/**
 * Admits members of {@link ADMIN_GROUP} only (`403 FORBIDDEN` otherwise), logging the decision.
 *
 * @example
 * const admitted = requireAdmin(caller, 'POST /admin/grants', log);
 * if (!admitted.ok) return errorResponse(admitted.error);
 */
export function requireAdmin(caller: Caller, route: string, log: Logger): Result<void> {
  if (isAdmin(caller.groups)) return ok(undefined);
  log.log('warn', 'admin route refused', { userId: caller.userId, groups: caller.groups, route });
  return refuse('FORBIDDEN', `Only members of the ${ADMIN_GROUP} group manage file grants.`);
}

/** `GET /admin/grants`: every grant. */
export async function listGrants(d: { readonly grants: GrantRepository }): Promise<Result<FileGrantList>> {
  return ok({ grants: (await d.grants.list()).map(toFileGrant) });
}

/**
 * `POST /admin/grants {pathPrefix, group}`: `INVALID_PATH` for an unsafe prefix,
 * `VALIDATION_FAILED` for a home prefix or a bad group name, `CONFLICT` when the same prefix
 * and group are already granted. Logged with who granted what.
 */
export async function createGrant(
  d: { readonly grants: GrantRepository; readonly newId: () => string; readonly clock: Clock },
  caller: Caller,
  request: { readonly pathPrefix: string; readonly group: string },
  log: Logger,
): Promise<Result<FileGrant>> {
  const checked = checkGrant(request.pathPrefix, request.group);
  if (!checked.ok) {
    return refuse(
      checked.code,
      checked.message,
      checked.rule === undefined ? undefined : { rule: checked.rule },
    );
  }
  const created = await d.grants.create({
    id: d.newId(),
    pathPrefix: checked.pathPrefix,
    group: checked.group,
    createdBy: caller.userId,
  });
  if (created === undefined) {
    return refuse('CONFLICT', `${checked.pathPrefix} is already granted to ${checked.group}.`);
  }
  log.log('info', 'file grant created', {
    grantId: created.id,
    pathPrefix: created.pathPrefix,
    group: created.group,
    by: caller.userId,
  });
  return ok(toFileGrant(created));
}

/** `DELETE /admin/grants/{id}`: `NOT_FOUND` for an unknown (or malformed) id. */
export async function deleteGrant(
  d: { readonly grants: GrantRepository },
  caller: Caller,
  id: string,
  log: Logger,
): Promise<Result<null>> {
  if (!UUID.test(id) || !(await d.grants.delete(id.toLowerCase()))) {
    return refuse('NOT_FOUND', 'There is no such grant.');
  }
  log.log('info', 'file grant deleted', { grantId: id.toLowerCase(), by: caller.userId });
  return ok(null);
}
