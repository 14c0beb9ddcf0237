import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SigV4ConnectionPoster } from '../adapters/sigv4-connection-poster.ts';
import type { RealtimeDeps } from '../compose.ts';
import type { PublisherConfig } from '../config.ts';
import type { ConnectionPoster } from '../ports.ts';
import { getConfig } from './base.ts';

/** Connect and request time budgets of a post (well inside every publishing Lambda's timeout). */
export const POSTER_TIMEOUTS = { connectTimeoutMs: 3000, requestTimeoutMs: 5000 } as const;

/**
 * A keep-alive agent for the `@connections` endpoint's protocol with as many sockets as the
 * publisher posts at once, so a fan-out does not pay a TCP + TLS handshake per post.
 *
 * @example
 * const agent = keepAliveAgent(config.wsManagementEndpoint, config.publishConcurrency);
 */
export function keepAliveAgent(endpoint: string, maxSockets: number): HttpAgent {
  const options = { keepAlive: true, maxSockets };
  return new URL(endpoint).protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options);
}

/**
 * The `@connections` poster the Lambdas use: the lean {@link SigV4ConnectionPoster} (a SigV4-signed
 * POST per delivery, no SDK client), built once per container. Credentials come from the SDK's
 * default chain, as the SDK clients get theirs: on Lambda the execution role's keys in
 * `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` (`fromEnv`), or the container
 * credentials endpoint where Lambda offers one (SnapStart); the chain caches them and fetches new
 * ones 5 minutes before an expiring set runs out. The publisher retries itself (with jitter,
 * counting attempts), so a post is one attempt.
 *
 * The SDK client's poster is `compose/sdk-poster.ts`, a separate module on purpose: esbuild
 * bundles what static imports reach, so a Lambda whose graph holds only this module carries no
 * `@aws-sdk/client-apigatewaymanagementapi` (a runtime switch between the two would ship both).
 *
 * @example
 * const poster = buildPoster(loadPublisherConfig(process.env));
 */
export function buildPoster(config: PublisherConfig): ConnectionPoster {
  return new SigV4ConnectionPoster({
    endpoint: config.wsManagementEndpoint,
    region: config.region,
    credentials: defaultProvider(),
    agent: keepAliveAgent(config.wsManagementEndpoint, config.publishConcurrency),
    ...POSTER_TIMEOUTS,
  });
}

let poster: Pick<RealtimeDeps, 'poster'> | undefined;

/**
 * The container's `@connections` poster, built at the first call (`$default` posts a resume's
 * replay; the publisher shares it).
 *
 * @example
 * export const handler = makeWsDefaultHandler(() => ({ ...getBaseDeps(), ...getStoreDeps(), ...getPosterDeps() }));
 */
export function getPosterDeps(): Pick<RealtimeDeps, 'poster'> {
  poster ??= { poster: buildPoster(getConfig()) };
  return poster;
}

/** Forgets the poster (`resetDeps` in `compose.ts` calls it). */
export function resetPosterDeps(): void {
  poster = undefined;
}
