// The naming rule that keeps the two kinds of topics apart (zod-free, so the SDK can use it).
//
// - PER-USER VIEWS are the reserved names in `PER_USER_VIEWS` (`jobs`, `files`): a view filters
//   the caller's OWN events on one connection and is never shared, granted or published to.
// - SHARED TOPICS are every other name made of letters, digits and `. _ : -` (at most 128
//   characters; no `/`, so a name fits one REST path segment): `announcements`,
//   `group:<cognito group>`, `ops.deploys`. Subscribing needs a topic grant; events carry a
//   per-topic `seq`.
//
// A name is one or the other, never both: a shared topic can never be called `jobs` or `files`.

/**
 * The per-user views: reserved topic names that filter the caller's own events.
 *
 * @example
 * PER_USER_VIEWS.includes('jobs'); // true
 */
export const PER_USER_VIEWS = ['jobs', 'files'] as const;

/**
 * A per-user view name.
 *
 * @example
 * const view: PerUserView = 'files';
 */
export type PerUserView = (typeof PER_USER_VIEWS)[number];

/** Most characters in a shared topic name. */
export const MAX_TOPIC_NAME_LENGTH = 128;

/**
 * The characters of a shared topic name.
 *
 * @example
 * SHARED_TOPIC_PATTERN.test('group:ops'); // true
 */
export const SHARED_TOPIC_PATTERN = /^[A-Za-z0-9._:-]+$/;

/**
 * The topic every signed-in user is granted by the shipped default grant.
 *
 * @example
 * client.subscribe(ANNOUNCEMENTS_TOPIC);
 */
export const ANNOUNCEMENTS_TOPIC = 'announcements';

/**
 * The prefix of group topics: `group:<name>` is granted to members of the Cognito group `<name>`.
 *
 * @example
 * `${GROUP_TOPIC_PREFIX}ops`; // 'group:ops'
 */
export const GROUP_TOPIC_PREFIX = 'group:';

/**
 * Whether a topic name is a per-user view (`jobs`, `files`).
 *
 * @example
 * isPerUserView('jobs');          // true
 * isPerUserView('announcements'); // false
 */
export function isPerUserView(name: string): name is PerUserView {
  return (PER_USER_VIEWS as readonly string[]).includes(name);
}

/**
 * Whether a name is a valid shared topic name (see the rule above).
 *
 * @example
 * isSharedTopicName('group:ops'); // true
 * isSharedTopicName('jobs');      // false: a per-user view
 * isSharedTopicName('a/b');       // false: no `/`
 */
export function isSharedTopicName(name: string): boolean {
  return (
    name.length >= 1 &&
    name.length <= MAX_TOPIC_NAME_LENGTH &&
    SHARED_TOPIC_PATTERN.test(name) &&
    !isPerUserView(name)
  );
}
