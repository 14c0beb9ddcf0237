import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { createTableInput, TABLES, tableName } from '@herald/realtime/tables';
import dynalite from 'dynalite';
import type { IamCheck } from './iam/authority.ts';
import { gateDynamo } from './iam/dynamodb-gate.ts';

export interface LocalDynamo {
  readonly endpoint: string;
  stop(): Promise<void>;
}

interface ClosableIterator {
  close(): Promise<void>;
  return?: () => Promise<void>;
}

/** abstract-level's iterator classes, the ones {@link closeDynaliteIterators} patches. */
export const LEVEL_ITERATORS = ['AbstractIterator', 'AbstractKeyIterator', 'AbstractValueIterator'] as const;

/** The abstract-level module dynalite really loads (resolved through its own dependencies). */
export function dynaliteAbstractLevel(): Record<string, { prototype: ClosableIterator } | undefined> {
  const fromHere = createRequire(import.meta.url);
  const fromLevel = createRequire(createRequire(fromHere.resolve('dynalite')).resolve('level'));
  return createRequire(fromLevel.resolve('classic-level'))('abstract-level');
}

/**
 * dynalite 4.0.0 ends every Query/Scan stream by calling `iterator.return()`, which the
 * abstract-level 3 iterators under it do not have (theirs is `close()`): every query left a
 * LevelDB iterator open, with its buffers, for the life of the process. The soak benchmark saw
 * the stack's RSS climb ~7 MB/min under steady publishing (each publish queries the user's
 * connections); with this, heap after GC stays flat across connect/disconnect cycles. Patched
 * on the abstract-level instance dynalite really loads.
 */
function closeDynaliteIterators(): void {
  const abstractLevel = dynaliteAbstractLevel();
  for (const name of LEVEL_ITERATORS) {
    const proto = abstractLevel[name]?.prototype;
    if (proto && typeof proto.return !== 'function') {
      proto.return = function (this: ClosableIterator) {
        return this.close();
      };
    }
  }
}

/**
 * Starts dynalite (DynamoDB's API on loopback; LevelDB on disk when `dataDir` is given); with
 * `iam`, each call a function signs is authorized first (`iam/dynamodb-gate.ts`).
 */
export async function startDynamo(options: { dataDir?: string; iam?: IamCheck } = {}): Promise<LocalDynamo> {
  closeDynaliteIterators();
  const server: Server = dynalite({
    path: options.dataDir,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  if (options.iam) gateDynamo(server, options.iam);
  // Node closes a keep-alive connection after 5 s idle; the SDK clients reuse pooled sockets,
  // and one reused just as the server closes it fails with ECONNRESET (the SDK reports a
  // TimeoutError). Under a burst after a quiet spell that exhausted the SDK's retries (seen: ~15
  // failures per 1,000 requests in the hardening chaos test). DynamoDB keeps idle connections far
  // longer; so does this.
  server.keepAliveTimeout = 10 * 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/**
 * Creates every table of `TABLES` under `prefix` (existing tables are kept). Returns the
 * physical names by logical id. TTL is not configured: dynalite has no `UpdateTimeToLive`, and
 * readers filter on `expiresAt` anyway.
 */
export async function createTables(client: DynamoDBClient, prefix: string): Promise<Record<string, string>> {
  const names: Record<string, string> = {};
  for (const def of TABLES) {
    const name = tableName(def, prefix);
    names[def.id] = name;
    try {
      await client.send(new CreateTableCommand(createTableInput(def, name)));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    // Like DynamoDB, dynalite answers ResourceNotFound until the table is ACTIVE.
    await waitUntilTableExists(
      { client, maxWaitTime: 30, minDelay: 0.05, maxDelay: 0.2 },
      { TableName: name },
    );
  }
  return names;
}

export function dynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}
