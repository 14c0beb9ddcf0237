import type { Clock } from '@herald/runtime';
import { DatabaseError } from '../../src/errors.ts';
import type { FileGrantRecord, GrantRepository, NewFileGrant } from '../../src/ports.ts';

/** The seed grants of `migrations/001_file_grants.sql`, as the in-memory store starts with them. */
export const SEED_GRANTS: readonly Omit<FileGrantRecord, 'createdAt'>[] = [
  { id: '00000000-0000-4000-a000-000000000001', pathPrefix: 'public/', group: '*', createdBy: 'migration' },
  {
    id: '00000000-0000-4000-a000-000000000002',
    pathPrefix: 'reports/',
    group: 'analysts',
    createdBy: 'migration',
  },
];

/** In-memory {@link GrantRepository} with the table's uniqueness rules (prefix + group, id). */
export class InMemoryGrantStore implements GrantRepository {
  readonly #grants = new Map<string, FileGrantRecord>();
  readonly #clock: Clock;
  /** How many lookups were made (a refused path must not even reach the grants). */
  lookups = 0;
  #nextFailure: Error | undefined;

  constructor(clock: Clock, seed: readonly Omit<FileGrantRecord, 'createdAt'>[] = SEED_GRANTS) {
    this.#clock = clock;
    for (const grant of seed) this.#grants.set(grant.id, { ...grant, createdAt: new Date(clock.now()) });
  }

  failNextWith(error: Error): void {
    this.#nextFailure = error;
  }

  async candidatesFor(path: string): Promise<readonly FileGrantRecord[]> {
    this.#throwIfFailing();
    this.lookups++;
    return [...this.#grants.values()].filter((grant) => path.startsWith(grant.pathPrefix));
  }

  async list(): Promise<readonly FileGrantRecord[]> {
    this.#throwIfFailing();
    return [...this.#grants.values()].sort(
      (a, b) => compare(a.pathPrefix, b.pathPrefix) || compare(a.group, b.group),
    );
  }

  async create(grant: NewFileGrant): Promise<FileGrantRecord | undefined> {
    this.#throwIfFailing();
    const taken = [...this.#grants.values()].some(
      (g) => g.id === grant.id || (g.pathPrefix === grant.pathPrefix && g.group === grant.group),
    );
    if (taken) return undefined;
    const record = { ...grant, createdAt: new Date(this.#clock.now()) };
    this.#grants.set(grant.id, record);
    return record;
  }

  async delete(id: string): Promise<boolean> {
    this.#throwIfFailing();
    return this.#grants.delete(id);
  }

  #throwIfFailing(): void {
    const failure = this.#nextFailure;
    this.#nextFailure = undefined;
    if (failure !== undefined) throw failure;
  }
}

// PostgreSQL's ORDER BY on text under the C collation compares code units; so does this.
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A retryable database fault, as the adapter reports one. */
export const databaseDown = () => new DatabaseError('database unreachable', { retryable: true });
