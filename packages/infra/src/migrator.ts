import { type BackoffPolicy, errorFields, type Logger, type Sleep, withRetries } from '@herald/runtime';
import { isRetryablePgError } from '@herald/runtime/pg';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

/** The migration custom resource's one physical id: it is never replaced. */
export const MIGRATIONS_PHYSICAL_ID = 'herald-migrations';

/**
 * How long the migrator waits for its first connection: on a stack's first deploy the instance
 * (and RDS Proxy's target) may still be registering or its DNS name propagating when
 * CloudFormation calls the custom resource (`ECONNREFUSED`, `ENOTFOUND`, SQLSTATE 57P03 "the
 * database system is starting up"). Eight attempts with full-jitter waits of at most 1, 2, 4, 8,
 * 15, 15, 15 s: at most 60 s of waiting plus eight connection timeouts (10 s each), well inside
 * the migrator's 5-minute timeout with room left for the migrations themselves.
 */
export const FIRST_CONNECTION_RETRY: BackoffPolicy = {
  maxAttempts: 8,
  baseDelayMs: 1000,
  maxDelayMs: 15_000,
};

/** The connection migrations run on; released once they are done. */
export interface MigrationClient {
  release(error?: Error | boolean): void;
}

/** A pool of one connection. */
export interface MigrationPool<C extends MigrationClient> {
  connect(): Promise<C>;
  end(): Promise<void>;
}

/**
 * What {@link runMigrationEvent} needs.
 *
 * @example
 * const deps: MigratorDeps<pg.PoolClient> = {
 *   bundledFingerprint: migrationsFingerprint(loadMigrations(sources)),
 *   pool: () => createPgPool({ url, password, max: 1 }, log),
 *   migrate: (client) => migrate(client, { sources }),
 *   log,
 *   sleep: delay,
 *   random: Math.random,
 * };
 */
export interface MigratorDeps<C extends MigrationClient> {
  /** The fingerprint of the SQL this bundle carries (`migrationsFingerprint` over its files). */
  readonly bundledFingerprint: string;
  /** Builds the pool; called only when there is something to apply. */
  readonly pool: () => MigrationPool<C>;
  /** Applies the pending migrations on the connection; returns what it applied. */
  readonly migrate: (client: C) => Promise<string[]>;
  readonly log: Logger;
  /** Waits between connection attempts. */
  readonly sleep: Sleep;
  /** A uniform number in [0, 1), for the jitter. */
  readonly random: () => number;
  /** @default FIRST_CONNECTION_RETRY */
  readonly connectRetry?: BackoffPolicy;
}

/** What the custom resource answers CloudFormation. */
export interface MigrateResult {
  readonly PhysicalResourceId: string;
  readonly Data: { readonly Applied: string };
}

/**
 * Handles one CloudFormation event of the migration custom resource:
 *
 * - `Create`, and `Update` with the fingerprint of the SQL this bundle carries: connects (the
 *   first connection retried with backoff while the database registers) and applies what is
 *   pending.
 * - `Update` with any other fingerprint: nothing, with a log line. CloudFormation rolls a failed
 *   update back in reverse order, so the custom resource is sent the previous template's
 *   properties (an OLDER fingerprint) before the migrator's code is rolled back: the newer bundle
 *   then carries SQL that template never had. Migrations only move forward (nothing is undone),
 *   and re-running a migration that failed would fail the rollback too (`UPDATE_ROLLBACK_FAILED`),
 *   so the answer is to do nothing.
 * - `Delete`: nothing. Dropping data is never automatic.
 *
 * @example
 * export const handler = (event: CloudFormationCustomResourceEvent) => runMigrationEvent(event, deps());
 */
export async function runMigrationEvent<C extends MigrationClient>(
  event: CloudFormationCustomResourceEvent,
  deps: MigratorDeps<C>,
): Promise<MigrateResult> {
  const physicalId = 'PhysicalResourceId' in event ? event.PhysicalResourceId : MIGRATIONS_PHYSICAL_ID;
  const nothing: MigrateResult = { PhysicalResourceId: physicalId, Data: { Applied: '' } };
  if (event.RequestType === 'Delete') return nothing;
  const requested: unknown = event.ResourceProperties.MigrationsFingerprint;
  if (event.RequestType === 'Update' && requested !== deps.bundledFingerprint) {
    deps.log.log('info', 'migrations skipped: the event names SQL this bundle does not carry (a rollback)', {
      requestedFingerprint: requested,
      bundledFingerprint: deps.bundledFingerprint,
      previousFingerprint: event.OldResourceProperties.MigrationsFingerprint,
    });
    return nothing;
  }
  const pool = deps.pool();
  try {
    const client = await withRetries(() => pool.connect(), {
      policy: deps.connectRetry ?? FIRST_CONNECTION_RETRY,
      random: deps.random,
      sleep: deps.sleep,
      retryable: isRetryablePgError,
      onRetry: (error, attempt, delayMs) =>
        deps.log.log('warn', 'database not reachable yet; retrying the first connection', {
          attempt,
          delayMs,
          error: errorFields(error),
        }),
    });
    try {
      const applied = await deps.migrate(client);
      deps.log.log('info', 'migrations applied', { applied });
      return { PhysicalResourceId: MIGRATIONS_PHYSICAL_ID, Data: { Applied: applied.join(',') } };
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
}
