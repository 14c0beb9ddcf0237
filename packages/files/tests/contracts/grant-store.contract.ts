import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GrantRepository } from '../../src/ports.ts';

/**
 * The behaviour every {@link GrantRepository} must have. Runs against the in-memory fake
 * (unit) and `PgGrantRepository` on PostgreSQL in its own schema (integration); both start
 * with the seed grants of `migrations/001_file_grants.sql`.
 */
export function describeGrantStoreContract(name: string, make: () => Promise<GrantRepository>): void {
  describe(`GrantRepository contract: ${name}`, () => {
    let grants: GrantRepository;
    const tag = randomUUID().slice(0, 8);
    beforeAll(async () => {
      grants = await make();
    });

    it('starts with the seed grants', async () => {
      const seeds = (await grants.list()).filter((g) => g.createdBy === 'migration');
      expect(seeds.map((g) => [g.id, g.pathPrefix, g.group])).toEqual([
        ['00000000-0000-4000-a000-000000000001', 'public/', '*'],
        ['00000000-0000-4000-a000-000000000002', 'reports/', 'analysts'],
      ]);
    });

    it('creates a grant once per prefix and group, and once per id', async () => {
      const id = randomUUID();
      const grant = { id, pathPrefix: `c-${tag}/`, group: 'finance', createdBy: 'admin-1' };
      expect(await grants.create(grant)).toEqual({ ...grant, createdAt: expect.any(Date) });
      expect(await grants.create({ ...grant, id: randomUUID() })).toBeUndefined();
      expect(await grants.create({ ...grant, group: 'other' })).toBeUndefined();
      expect(await grants.create({ ...grant, id: randomUUID(), group: 'other' })).toMatchObject({
        group: 'other',
      });
    });

    it('finds candidates whose prefix starts the path, taking _ and % literally', async () => {
      const folder = { id: randomUUID(), pathPrefix: `k-${tag}/a_b/`, group: 'g', createdBy: 'admin-1' };
      const file = { id: randomUUID(), pathPrefix: `k-${tag}/50%.pdf`, group: 'g', createdBy: 'admin-1' };
      await grants.create(folder);
      await grants.create(file);
      const ids = async (path: string) => (await grants.candidatesFor(path)).map((g) => g.id).sort();
      expect(await ids(`k-${tag}/a_b/x.csv`)).toEqual([folder.id]);
      expect(await ids(`k-${tag}/aXb/x.csv`)).toEqual([]);
      expect(await ids(`k-${tag}/50%.pdf`)).toEqual([file.id]);
      expect(await ids(`k-${tag}/50x.pdf`)).toEqual([]);
      expect((await grants.candidatesFor('public/readme.txt')).map((g) => g.pathPrefix)).toEqual(['public/']);
    });

    it('deletes a grant once', async () => {
      const grant = { id: randomUUID(), pathPrefix: `d-${tag}/`, group: 'g', createdBy: 'admin-1' };
      await grants.create(grant);
      expect(await grants.delete(grant.id)).toBe(true);
      expect(await grants.delete(grant.id)).toBe(false);
      expect((await grants.list()).some((g) => g.id === grant.id)).toBe(false);
    });
  });
}
