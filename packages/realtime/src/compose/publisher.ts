import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Logger, lambdaExtensionSecrets, type Metrics, systemClock } from '@herald/runtime';
import { FcmPushSender, type MulticastMessaging } from '../adapters/fcm-push-sender.ts';
import { OutboxPushSender } from '../adapters/outbox-push-sender.ts';
import type { RealtimeDeps } from '../compose.ts';
import {
  type FcmServiceAccount,
  loadPublisherConfig,
  type PublisherConfig,
  type PushConfig,
} from '../config.ts';
import { createPublisher, type Publisher, type PublisherDeps } from '../core/publisher.ts';
import type { ConnectionPoster, PushSender } from '../ports.ts';
import { getBaseDeps, getConfig, serviceLogger, serviceMetrics } from './base.ts';
import { buildPoster, getPosterDeps } from './poster.ts';
import { documentClient, getDocuments, publisherStores } from './stores.ts';

// The publisher and its push sender: the only module that reaches firebase-admin. Handlers that
// never publish do not import it, so their bundles carry no FCM code (esbuild inlines the
// dynamic import below into every bundle whose import graph holds this module).

/**
 * firebase-admin is evaluated at the first push only: its module code is slow to run and most
 * invocations never push. (It is in the bundle all the same: esbuild does not split code.)
 */
function lazyMessaging(load: () => Promise<FcmServiceAccount>): () => Promise<MulticastMessaging> {
  return async () => {
    const account = await load();
    const { cert, getApps, initializeApp } = await import('firebase-admin/app');
    const { getMessaging } = await import('firebase-admin/messaging');
    const name = 'herald-realtime';
    const app =
      getApps().find((a) => a.name === name) ??
      initializeApp({ credential: cert(account), projectId: account.projectId }, name);
    return getMessaging(app);
  };
}

function parseServiceAccount(json: string): FcmServiceAccount {
  const value = JSON.parse(json) as Record<string, unknown>;
  const { project_id: projectId, client_email: clientEmail, private_key: privateKey } = value;
  if (typeof projectId !== 'string' || typeof clientEmail !== 'string' || typeof privateKey !== 'string') {
    throw new Error('the FCM secret is not a service account JSON (project_id, client_email, private_key)');
  }
  return { projectId, clientEmail, privateKey };
}

function pushSender(push: PushConfig): PushSender {
  switch (push.provider) {
    case 'outbox':
      return new OutboxPushSender({ url: push.outboxUrl });
    case 'fcm':
      return new FcmPushSender({ messaging: lazyMessaging(async () => push.serviceAccount) });
    case 'fcm-secret':
      return new FcmPushSender({
        messaging: lazyMessaging(async () =>
          parseServiceAccount(await lambdaExtensionSecrets(process.env)(push.secretId)),
        ),
      });
  }
}

/**
 * What a host shares with the publisher it builds (see {@link getPublisher}).
 *
 * @example
 * const host: PublisherHost = { metrics };
 */
export interface PublisherHost {
  readonly documents?: DynamoDBDocumentClient;
  readonly log?: Logger;
  /** The host's metrics, so the host's invocation flushes the publisher's data points too. */
  readonly metrics?: Metrics;
  /** The host's `@connections` poster: one client and socket pool per container. */
  readonly poster?: ConnectionPoster;
}

/**
 * Builds the publisher's clients and adapters for a configuration.
 *
 * @example
 * const publisher = createPublisher(buildPublisherDeps(loadPublisherConfig(process.env)));
 */
export function buildPublisherDeps(config: PublisherConfig, shared: PublisherHost = {}): PublisherDeps {
  const log = shared.log ?? serviceLogger(config);
  return {
    ...publisherStores(config, shared.documents ?? documentClient(config)),
    poster: shared.poster ?? buildPoster(config),
    push: pushSender(config.push),
    clock: systemClock,
    log,
    metrics: shared.metrics ?? serviceMetrics(log),
    concurrency: config.publishConcurrency,
    eventTtlSeconds: config.jobEventTtlSeconds,
  };
}

/** The realtime handlers' own publisher (`sns-notify`): their logger, metrics, tables and poster. */
let own: Publisher | undefined;
/** The publisher {@link getPublisher} hands out. */
let shared: Publisher | undefined;

/**
 * The container's publisher for the realtime handlers (`sns-notify`), on the same logger,
 * metrics, document client and poster as the other realtime deps, so the handler's metrics flush
 * carries the publisher's data points.
 *
 * @example
 * export const handler = makeSnsNotifyHandler(() => ({ ...getBaseDeps(), ...getPublishingDeps() }));
 */
export function getPublishingDeps(): Pick<RealtimeDeps, 'publisher'> {
  if (own === undefined) {
    const { log, metrics } = getBaseDeps();
    const { poster } = getPosterDeps();
    own = createPublisher(
      buildPublisherDeps(getConfig(), { documents: getDocuments(), log, metrics, poster }),
    );
  }
  return { publisher: own };
}

/**
 * The container's {@link Publisher}, for any Lambda that notifies users (the ingest worker, the
 * file handlers): built from `process.env` at the first call (only the publisher's variables,
 * see `loadPublisherConfig`) and reused by every warm invocation. A host in another package
 * passes its metrics (`host.metrics`) so its own invocation flushes the publisher's; the host
 * of the first call wins. In a container that already built the realtime handlers' publisher,
 * that one.
 *
 * @throws ConfigError naming every missing or invalid variable.
 * @example
 * await getPublisher({ metrics }).publish(userId, event, { cacheConnectionsMs: 2000 });
 */
export function getPublisher(host: Pick<PublisherHost, 'metrics'> = {}): Publisher {
  shared ??= own ?? createPublisher(buildPublisherDeps(loadPublisherConfig(process.env), host));
  return shared;
}

/** Forgets both publishers (`resetDeps` in `compose.ts` calls it). */
export function resetPublishers(): void {
  own = undefined;
  shared = undefined;
}
