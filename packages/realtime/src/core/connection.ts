import type { Identity } from '@herald/runtime';
import type { ConnectionRecord } from '../ports.ts';

/**
 * API Gateway closes a WebSocket connection after at most 2 hours, so a connection item must
 * outlive that or a live connection would vanish from fan-out.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html#apigateway-execution-service-websocket-limits-table
 */
export const MIN_CONNECTION_TTL_SECONDS = 7200;

/** Default connection item lifetime: the 2-hour connection limit plus an hour of slack. */
export const DEFAULT_CONNECTION_TTL_SECONDS = 10_800;

/** Input of {@link newConnection}. */
export interface NewConnectionInput {
  readonly connectionId: string;
  readonly identity: Pick<Identity, 'userId'>;
  /** Epoch milliseconds. */
  readonly now: number;
  /** Item lifetime; at least {@link MIN_CONNECTION_TTL_SECONDS}. */
  readonly ttlSeconds: number;
}

/**
 * Builds the connection record `$connect` stores.
 *
 * @example
 * newConnection({ connectionId: 'L0SM9cOFvHcCIhw=', identity, now: Date.now(), ttlSeconds: 10_800 });
 */
export function newConnection(input: NewConnectionInput): ConnectionRecord {
  const { connectionId, identity, now, ttlSeconds } = input;
  if (connectionId === '') throw new RangeError('connectionId must not be empty');
  if (identity.userId === '') throw new RangeError('userId must not be empty');
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < MIN_CONNECTION_TTL_SECONDS) {
    throw new RangeError(`ttlSeconds must be an integer >= ${MIN_CONNECTION_TTL_SECONDS}, got ${ttlSeconds}`);
  }
  // Round up: the item must never expire before the connection it describes can.
  const expiresAt = Math.ceil(now / 1000) + ttlSeconds;
  return { connectionId, userId: identity.userId, connectedAt: now, expiresAt };
}

/**
 * Whether a stored connection is still live at `now` (epoch ms). DynamoDB deletes expired
 * items lazily (up to days late) and dynalite never does, so every read applies this filter.
 */
export function isConnectionLive(connection: Pick<ConnectionRecord, 'expiresAt'>, now: number): boolean {
  return connection.expiresAt * 1000 > now;
}
