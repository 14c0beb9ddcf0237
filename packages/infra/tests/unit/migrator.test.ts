import type { Sleep } from '@herald/runtime';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../runtime/tests/support/fake-clock.ts';
import { RecordingLogger } from '../../../runtime/tests/support/recording-logger.ts';
import {
  FIRST_CONNECTION_RETRY,
  MIGRATIONS_PHYSICAL_ID,
  type MigrationClient,
  type MigrationPool,
  type MigratorDeps,
  runMigrationEvent,
} from '../../src/migrator.ts';

const BUNDLED = 'b'.repeat(64);
const OLDER = 'a'.repeat(64);

const common = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
  ResponseURL: 'https://cloudformation-custom-resource-response.example/',
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/HeraldDev/1',
  RequestId: 'request-1',
  LogicalResourceId: 'MigrationsRun',
  ResourceType: 'Custom::HeraldMigrations',
};

const create = (fingerprint = BUNDLED): CloudFormationCustomResourceEvent => ({
  ...common,
  RequestType: 'Create',
  ResourceProperties: { ServiceToken: common.ServiceToken, MigrationsFingerprint: fingerprint },
});

const update = (fingerprint: string, previous: string): CloudFormationCustomResourceEvent => ({
  ...common,
  RequestType: 'Update',
  PhysicalResourceId: MIGRATIONS_PHYSICAL_ID,
  ResourceProperties: { ServiceToken: common.ServiceToken, MigrationsFingerprint: fingerprint },
  OldResourceProperties: { ServiceToken: common.ServiceToken, MigrationsFingerprint: previous },
});

const refused = (code: string) => Object.assign(new Error(`connect ${code} 10.40.48.12:5432`), { code });

/**
 * A pool whose first connections fail as `failures` say (then succeed), on a clock that only
 * moves when the migrator sleeps: what a database still registering looks like, in no time.
 */
class FakeDatabase {
  readonly clock = new FakeClock(0);
  readonly sleeps: number[] = [];
  readonly logger = new RecordingLogger();
  pools = 0;
  ended = 0;
  attempts = 0;
  released = 0;
  migrated = 0;

  constructor(
    private readonly failures: readonly Error[] = [],
    private readonly applies: () => Promise<string[]> = async () => ['ingest/007_new'],
  ) {}

  readonly sleep: Sleep = async (ms) => {
    this.sleeps.push(ms);
    this.clock.advance(ms);
  };

  deps(): MigratorDeps<MigrationClient> {
    return {
      bundledFingerprint: BUNDLED,
      pool: (): MigrationPool<MigrationClient> => {
        this.pools++;
        return {
          connect: async () => {
            const failure = this.failures[this.attempts++];
            if (failure) throw failure;
            return { release: () => void this.released++ };
          },
          end: async () => void this.ended++,
        };
      },
      migrate: async () => {
        this.migrated++;
        return this.applies();
      },
      log: this.logger.logger,
      sleep: this.sleep,
      // The top of each jitter range: the longest the migrator can wait.
      random: () => 0.999_999,
    };
  }
}

describe('runMigrationEvent', () => {
  it('applies the pending migrations on Create and answers what it applied', async () => {
    const db = new FakeDatabase();
    const result = await runMigrationEvent(create(), db.deps());
    expect(result).toEqual({
      PhysicalResourceId: MIGRATIONS_PHYSICAL_ID,
      Data: { Applied: 'ingest/007_new' },
    });
    expect([db.migrated, db.released, db.ended]).toEqual([1, 1, 1]);
  });

  it('applies them on an Update that brings the SQL this bundle carries', async () => {
    const db = new FakeDatabase();
    await runMigrationEvent(update(BUNDLED, OLDER), db.deps());
    expect(db.migrated).toBe(1);
  });

  it('does nothing, not even connect, when a rollback sends an older fingerprint than the bundle’s SQL', async () => {
    const db = new FakeDatabase();
    const result = await runMigrationEvent(update(OLDER, BUNDLED), db.deps());
    expect(result).toEqual({ PhysicalResourceId: MIGRATIONS_PHYSICAL_ID, Data: { Applied: '' } });
    expect([db.pools, db.attempts, db.migrated]).toEqual([0, 0, 0]);
    expect(db.logger.entries).toEqual([
      expect.objectContaining({
        level: 'info',
        message: expect.stringContaining('migrations skipped'),
        requestedFingerprint: OLDER,
        bundledFingerprint: BUNDLED,
        previousFingerprint: BUNDLED,
      }),
    ]);
  });

  it('does nothing on Delete: dropping data is never automatic', async () => {
    const db = new FakeDatabase();
    const result = await runMigrationEvent(
      {
        ...common,
        RequestType: 'Delete',
        PhysicalResourceId: MIGRATIONS_PHYSICAL_ID,
        ResourceProperties: common,
      },
      db.deps(),
    );
    expect(result.Data.Applied).toBe('');
    expect(db.pools).toBe(0);
  });

  it('retries its first connection with full-jitter backoff while the database registers', async () => {
    const db = new FakeDatabase([refused('ENOTFOUND'), refused('ECONNREFUSED'), refused('ECONNREFUSED')]);
    const result = await runMigrationEvent(create(), db.deps());
    expect(result.Data.Applied).toBe('ingest/007_new');
    expect(db.attempts).toBe(4);
    // Each wait is at most min(max, base × 2^attempt): 1 s, 2 s, 4 s.
    expect(db.sleeps).toEqual([999, 1999, 3999]);
    expect(db.clock.now()).toBe(6997);
    expect(db.logger.entries.filter((e) => e.level === 'warn').map((e) => e.attempt)).toEqual([1, 2, 3]);
  });

  it('retries a database that is still starting up (SQLSTATE 57P03)', async () => {
    const db = new FakeDatabase([
      Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
    ]);
    await runMigrationEvent(create(), db.deps());
    expect([db.attempts, db.migrated]).toEqual([2, 1]);
  });

  it('gives up after its bounded attempts with the last error, within about a minute of waiting', async () => {
    const db = new FakeDatabase(Array.from({ length: 20 }, () => refused('ETIMEDOUT')));
    await expect(runMigrationEvent(create(), db.deps())).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(db.attempts).toBe(FIRST_CONNECTION_RETRY.maxAttempts);
    expect(db.sleeps).toHaveLength(FIRST_CONNECTION_RETRY.maxAttempts - 1);
    expect(Math.max(...db.sleeps)).toBeLessThan(FIRST_CONNECTION_RETRY.maxDelayMs);
    expect(db.clock.now()).toBeLessThanOrEqual(60_000);
    expect([db.migrated, db.ended]).toEqual([0, 1]);
  });

  it('does not retry what waiting cannot fix: a refused password', async () => {
    const db = new FakeDatabase([
      Object.assign(new Error('password authentication failed'), { code: '28P01' }),
    ]);
    await expect(runMigrationEvent(create(), db.deps())).rejects.toMatchObject({ code: '28P01' });
    expect([db.attempts, db.sleeps.length, db.ended]).toEqual([1, 0, 1]);
  });

  it('retries only the connection: a failing migration fails the deploy at once, its connection released', async () => {
    const db = new FakeDatabase([], async () => {
      throw Object.assign(new Error('syntax error'), { code: '42601' });
    });
    await expect(runMigrationEvent(create(), db.deps())).rejects.toMatchObject({ code: '42601' });
    expect([db.migrated, db.released, db.ended, db.sleeps.length]).toEqual([1, 1, 1, 0]);
  });
});
