import { ANNOUNCEMENTS_TOPIC, GROUP_TOPIC_PREFIX } from '@herald/protocol';

// Who may subscribe to a shared topic. Deny by default: a topic nobody granted is refused.

/** The group name that stands for every signed-in user in a grant. */
export const EVERYONE = '*';

/** The Cognito group whose members manage topic grants and publish to topics. */
export const ADMIN_GROUP = 'admins';

/** A grant as the rule reads it. */
export interface TopicGrantRule {
  readonly topic: string;
  readonly group: string;
}

/**
 * The shipped default grants, in force without being stored (and not revocable through the admin
 * API): `announcements` to everyone. `group:<name>` topics follow the group rule in
 * {@link isTopicGranted} instead of a list.
 *
 * @example
 * DEFAULT_TOPIC_GRANTS; // [{ topic: 'announcements', group: '*' }]
 */
export const DEFAULT_TOPIC_GRANTS: readonly TopicGrantRule[] = [
  { topic: ANNOUNCEMENTS_TOPIC, group: EVERYONE },
];

/**
 * Whether a caller in `groups` may subscribe to `topic`: a shipped default grant, the group rule
 * (`group:<name>` to members of Cognito group `<name>`) or a stored grant of the topic to `*` or
 * to one of the caller's groups. Nothing else: deny by default.
 *
 * @example
 * isTopicGranted('announcements', [], []);                                  // true (default)
 * isTopicGranted('group:ops', ['ops'], []);                                 // true (group rule)
 * isTopicGranted('ops.deploys', ['ops'], [{ topic: 'ops.deploys', group: 'ops' }]); // true
 * isTopicGranted('ops.deploys', ['dev'], []);                               // false
 */
export function isTopicGranted(
  topic: string,
  groups: readonly string[],
  stored: readonly TopicGrantRule[],
): boolean {
  if (topic.startsWith(GROUP_TOPIC_PREFIX) && groups.includes(topic.slice(GROUP_TOPIC_PREFIX.length))) {
    return true;
  }
  return [...DEFAULT_TOPIC_GRANTS, ...stored].some(
    (grant) => grant.topic === topic && (grant.group === EVERYONE || groups.includes(grant.group)),
  );
}

/**
 * Whether the caller may manage topic grants and publish to topics.
 *
 * @example
 * isTopicAdmin(['admins']); // true
 */
export function isTopicAdmin(groups: readonly string[]): boolean {
  return groups.includes(ADMIN_GROUP);
}

// Groups reach `$default` comma-joined in the authorizer context, so a name with a comma could
// never match; whitespace and control characters are never part of a Cognito group name.
const GROUP_NAME = /^[^\s,\p{Cc}]{1,128}$/u;

/**
 * Checks the group of a new grant: `*` or a Cognito group name (1–128 characters, no
 * whitespace, control characters or commas). Answers a sentence for the caller, or `undefined`.
 *
 * @example
 * groupNameProblem('ops');   // undefined
 * groupNameProblem('a,b');   // 'A group name has 1–128 characters …'
 */
export function groupNameProblem(group: string): string | undefined {
  if (group === EVERYONE || GROUP_NAME.test(group)) return undefined;
  return 'A group name has 1–128 characters without spaces or commas; `*` means every signed-in user.';
}
