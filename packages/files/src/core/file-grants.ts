import type { FileGrantRecord } from '../ports.ts';
import { normaliseFilePath, type PathRule } from './file-path.ts';

/** The group value of a grant that covers every signed-in user. */
export const EVERYONE = '*';

/** Members of this Cognito group manage grants (`/admin/grants`). */
export const ADMIN_GROUP = 'admins';

/** Home prefixes live under this folder: `users/{sub}/`. */
export const HOME_ROOT = 'users/';

/** Who is asking: the Cognito `sub` and groups of the caller. */
export interface Caller {
  readonly userId: string;
  readonly groups: readonly string[];
}

/** An access decision and the rule that made it (logged with every decision). */
export type AccessDecision =
  | { readonly allow: true; readonly rule: string; readonly grantId?: string }
  | { readonly allow: false; readonly rule: string };

/** The caller's own home prefix. */
export function homePrefix(userId: string): string {
  return `${HOME_ROOT}${userId}/`;
}

/** Whether a path lies under the home folders, whose access no grant changes. */
export function isHomePath(path: string): boolean {
  return path.startsWith(HOME_ROOT);
}

/**
 * Whether a grant prefix covers a path: a prefix ending in `/` is a folder and covers
 * everything below it; any other prefix is one exact file. So `reports/` never covers
 * `reports-secret/x`, and `reports/q3.csv` never covers `reports/q3.csv.bak`.
 */
export function prefixCovers(prefix: string, path: string): boolean {
  return prefix.endsWith('/') ? path.startsWith(prefix) : path === prefix;
}

/** Whether the caller is an administrator (member of {@link ADMIN_GROUP}). */
export function isAdmin(groups: readonly string[]): boolean {
  return groups.includes(ADMIN_GROUP);
}

/**
 * Decides whether `caller` may fetch the normalised `path`. Deny by default:
 * - `users/{sub}/…` — the caller's own home: allowed (rule `home`). Anyone else's home:
 *   denied (rule `home-of-another-user`). Grants never apply under `users/`, so a mistaken
 *   grant cannot open someone's home.
 * - any other path — allowed when a grant covers it ({@link prefixCovers}) for one of the
 *   caller's groups or for `*`; the most specific grant is named in the rule. Otherwise
 *   denied (rule `no-grant`).
 *
 * @example
 * decideAccess({ userId: 'u1', groups: ['analysts'] }, 'reports/q3.csv', grants);
 * // { allow: true, rule: 'grant reports/ → analysts', grantId: '…' }
 */
export function decideAccess(
  caller: Caller,
  path: string,
  grants: readonly Pick<FileGrantRecord, 'id' | 'pathPrefix' | 'group'>[],
): AccessDecision {
  if (isHomePath(path)) {
    return path.startsWith(homePrefix(caller.userId))
      ? { allow: true, rule: 'home' }
      : { allow: false, rule: 'home-of-another-user' };
  }
  let best: Pick<FileGrantRecord, 'id' | 'pathPrefix' | 'group'> | undefined;
  for (const grant of grants) {
    if (!prefixCovers(grant.pathPrefix, path)) continue;
    if (grant.group !== EVERYONE && !caller.groups.includes(grant.group)) continue;
    if (best === undefined || grant.pathPrefix.length > best.pathPrefix.length) best = grant;
  }
  if (best === undefined) return { allow: false, rule: 'no-grant' };
  return { allow: true, rule: `grant ${best.pathPrefix} → ${best.group}`, grantId: best.id };
}

// Cognito group names are 1–128 characters. API Gateway REST hands `cognito:groups` to the
// handler as ONE string (`a,b` or `[a b]`), so a comma, space or bracket in a name could never
// be matched: such names are refused here.
const GROUP_NAME = /^[A-Za-z0-9_.@+=:-]{1,128}$/;

export type GrantCheck =
  | { readonly ok: true; readonly pathPrefix: string; readonly group: string }
  | {
      readonly ok: false;
      readonly code: 'INVALID_PATH' | 'VALIDATION_FAILED';
      readonly message: string;
      readonly rule?: PathRule;
    };

/**
 * Checks a new grant: the prefix must be a safe path (the same rules as a requested path; a
 * trailing `/` makes it a folder) outside `users/`; the group a Cognito group name or `*`.
 *
 * @example
 * checkGrant('reports/', 'analysts'); // { ok: true, pathPrefix: 'reports/', group: 'analysts' }
 */
export function checkGrant(pathPrefix: string, group: string): GrantCheck {
  const checked = normaliseFilePath(pathPrefix, { folder: true });
  if (!checked.ok) return { ok: false, code: 'INVALID_PATH', message: checked.message, rule: checked.rule };
  if (isHomePath(checked.path) || `${checked.path}/` === HOME_ROOT) {
    return {
      ok: false,
      code: 'VALIDATION_FAILED',
      message: `Home folders (${HOME_ROOT}…) are private to their owner and cannot be granted.`,
    };
  }
  if (group !== EVERYONE && !GROUP_NAME.test(group)) {
    return {
      ok: false,
      code: 'VALIDATION_FAILED',
      message: 'The group must be a Cognito group name (letters, digits, _ . @ + = : -, at most 128) or *.',
    };
  }
  return { ok: true, pathPrefix: checked.path, group };
}
