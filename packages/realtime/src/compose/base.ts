import { randomBytes } from 'node:crypto';
import { createJsonLogger, type Logger, type Metrics, systemClock } from '@herald/runtime';
import { EmfMetrics } from '@herald/runtime/metrics-emf';
import type { RealtimeDeps } from '../compose.ts';
import { loadConfig, type PublisherConfig, type RealtimeConfig } from '../config.ts';

/**
 * What every realtime handler uses and nothing that talks to AWS: the configuration, logger,
 * metrics, clock, CORS policy, random bytes and limits. `http-whoami` needs only this, so its
 * bundle holds no AWS SDK client.
 */
export type BaseDeps = Pick<
  RealtimeDeps,
  | 'clock'
  | 'log'
  | 'cors'
  | 'metrics'
  | 'randomBytes'
  | 'connectionTtlSeconds'
  | 'maxDevicesPerUser'
  | 'publishConcurrency'
>;

const SERVICE = 'herald-realtime';

/**
 * The realtime service's JSON logger.
 *
 * @example
 * const log = serviceLogger(loadPublisherConfig(process.env));
 */
export function serviceLogger(config: Pick<PublisherConfig, 'logLevel'>): Logger {
  return createJsonLogger({ service: SERVICE }, undefined, config.logLevel);
}

/**
 * The realtime service's EMF metrics, printed through `log`.
 *
 * @example
 * const metrics = serviceMetrics(log);
 */
export function serviceMetrics(log: Logger): Metrics {
  return new EmfMetrics({ service: SERVICE, log });
}

/**
 * Builds the {@link BaseDeps} for a configuration.
 *
 * @example
 * const { log, metrics } = buildBaseDeps(loadConfig(process.env));
 */
export function buildBaseDeps(config: RealtimeConfig): BaseDeps {
  const log = serviceLogger(config);
  return {
    clock: systemClock,
    log,
    cors: { allowedOrigins: config.allowedOrigins },
    metrics: serviceMetrics(log),
    randomBytes: (size) => randomBytes(size),
    connectionTtlSeconds: config.connectionTtlSeconds,
    maxDevicesPerUser: config.maxDevicesPerUser,
    publishConcurrency: config.publishConcurrency,
  };
}

let config: RealtimeConfig | undefined;
let base: BaseDeps | undefined;

/**
 * The container's configuration, read from `process.env` at the FIRST call (not at import: the
 * local stack imports the handler modules first and sets the environment afterwards).
 *
 * @throws ConfigError naming every missing or invalid variable; nothing is cached then.
 * @example
 * const { ticketsTable } = getConfig();
 */
export function getConfig(): RealtimeConfig {
  config ??= loadConfig(process.env);
  return config;
}

/**
 * The container's {@link BaseDeps}, built at the first call and reused by every warm invocation.
 *
 * @example
 * export const handler = makeHttpWhoamiHandler(getBaseDeps);
 */
export function getBaseDeps(): BaseDeps {
  base ??= buildBaseDeps(getConfig());
  return base;
}

/** Forgets the configuration and the base deps (`resetDeps` in `compose.ts` calls it). */
export function resetBaseDeps(): void {
  config = undefined;
  base = undefined;
}
