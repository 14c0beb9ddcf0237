/**
 * `@herald/realtime/publisher`: what a Lambda of another package needs to notify users, and
 * nothing else of the package (no JWT verifier, no tickets or subscriptions), so its bundle
 * holds the publisher's clients only. The main entry exports the same names.
 *
 * @example
 * import { getPublisher } from '@herald/realtime/publisher';
 * await getPublisher({ metrics }).publish(userId, event);
 */
export { getPublisher, type PublisherHost } from './compose/publisher.ts';
export type { Publisher, PublishOptions, PublishResult } from './core/publisher.ts';
