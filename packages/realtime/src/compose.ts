import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoConnectionStore } from './adapters/dynamo-connection-store.ts';
import { JwtTokenVerifier } from './adapters/jwt-token-verifier.ts';
import { loadConfig, type RealtimeConfig } from './config.ts';
import { createJsonLogger } from './log.ts';
import type { Clock, ConnectionStore, Logger, TokenVerifier } from './ports.ts';

/**
 * Everything the realtime handlers need. Handlers are built by factories taking a
 * {@link DepsProvider}, so tests pass fakes and Lambda passes {@link getDeps}.
 */
export interface RealtimeDeps {
  readonly connections: ConnectionStore;
  readonly tokens: TokenVerifier;
  readonly clock: Clock;
  readonly log: Logger;
  /** Lifetime of a connection item (`HERALD_CONNECTION_TTL_SECONDS`). */
  readonly connectionTtlSeconds: number;
}

/** Supplies the deps at invocation time (never at import: the local stack sets the env later). */
export type DepsProvider<K extends keyof RealtimeDeps = keyof RealtimeDeps> = () => Pick<RealtimeDeps, K>;

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * Builds the clients and adapters for a configuration. The only place that does.
 *
 * @example
 * const deps = buildDeps(loadConfig(process.env));
 */
export function buildDeps(config: RealtimeConfig): RealtimeDeps {
  // `endpoint` is undefined on AWS and points at dynalite locally: same code, other values.
  const dynamo = new DynamoDBClient({ region: config.region, endpoint: config.dynamodbEndpoint });
  const documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  return {
    connections: new DynamoConnectionStore({ client: documents, tableName: config.connectionsTable }),
    tokens: new JwtTokenVerifier(config.jwt),
    clock: systemClock,
    log: createJsonLogger({ service: 'herald-realtime' }, undefined, config.logLevel),
    connectionTtlSeconds: config.connectionTtlSeconds,
  };
}

let deps: RealtimeDeps | undefined;

/**
 * The container's deps: config is read from `process.env` and clients are built on the FIRST
 * call, then reused by every warm invocation. Reading lazily (not at import) lets the local
 * stack import the handler modules first and set the environment afterwards.
 */
export const getDeps: DepsProvider = () => {
  deps ??= buildDeps(loadConfig(process.env));
  return deps;
};

/**
 * Forgets the built deps so the next invocation reads the environment again. For an
 * in-process host (the local stack) that restarts its servers on new ports; Lambda never needs it.
 */
export function resetDeps(): void {
  deps = undefined;
}
