import { describe, expect, it } from 'vitest';
import { checkGrant, decideAccess, homePrefix, isAdmin, prefixCovers } from '../../src/core/file-grants.ts';
import { ALICE, BOB } from '../fakes/fake-deps.ts';
import { SEED_GRANTS } from '../fakes/in-memory-grant-store.ts';

const analyst = { userId: ALICE, groups: ['analysts'] };
const outsider = { userId: 'u-outsider', groups: [] };
const g = (id: string, pathPrefix: string, group: string) => ({ id, pathPrefix, group });

describe('decideAccess', () => {
  it('allows the caller’s own home and denies every other home, whatever the grants say', () => {
    const grantsOnHomes = [g('1', 'users/', 'analysts'), g('2', `${homePrefix(BOB)}`, '*')];
    expect(decideAccess(analyst, `${homePrefix(ALICE)}notes.txt`, [])).toEqual({ allow: true, rule: 'home' });
    expect(decideAccess(analyst, `${homePrefix(BOB)}notes.txt`, grantsOnHomes)).toEqual({
      allow: false,
      rule: 'home-of-another-user',
    });
    // A sub that merely starts like alice's is someone else.
    expect(decideAccess(analyst, `users/${ALICE}x/notes.txt`, []).allow).toBe(false);
  });

  it('allows by group grant and by the everyone grant, naming the most specific rule', () => {
    expect(decideAccess(analyst, 'reports/2026/q3.csv', SEED_GRANTS)).toEqual({
      allow: true,
      rule: 'grant reports/ → analysts',
      grantId: SEED_GRANTS[1]?.id,
    });
    expect(decideAccess(outsider, 'public/readme.txt', SEED_GRANTS)).toMatchObject({
      allow: true,
      rule: 'grant public/ → *',
    });
    const nested = [...SEED_GRANTS, g('3', 'reports/2026/', 'analysts')];
    expect(decideAccess(analyst, 'reports/2026/q3.csv', nested)).toMatchObject({ grantId: '3' });
  });

  it('denies by default: no grant, another group, a sibling folder, a longer file name', () => {
    expect(decideAccess(outsider, 'reports/2026/q3.csv', SEED_GRANTS)).toEqual({
      allow: false,
      rule: 'no-grant',
    });
    expect(decideAccess({ userId: 'u', groups: ['sales'] }, 'reports/q3.csv', SEED_GRANTS).allow).toBe(false);
    expect(decideAccess(analyst, 'reports-secret/x.csv', SEED_GRANTS).allow).toBe(false);
    const exact = [g('1', 'finance/q3.csv', 'analysts')];
    expect(decideAccess(analyst, 'finance/q3.csv', exact).allow).toBe(true);
    expect(decideAccess(analyst, 'finance/q3.csv.bak', exact).allow).toBe(false);
    expect(decideAccess(analyst, 'anything.txt', []).allow).toBe(false);
  });
});

describe('grant rules', () => {
  it('treats a prefix ending in / as a folder and anything else as one file', () => {
    expect(prefixCovers('reports/', 'reports/a/b.csv')).toBe(true);
    expect(prefixCovers('reports/', 'reportsx/a.csv')).toBe(false);
    expect(prefixCovers('reports/a.csv', 'reports/a.csv')).toBe(true);
    expect(prefixCovers('reports/a.csv', 'reports/a.csv2')).toBe(false);
  });

  it('recognises admins', () => {
    expect(isAdmin(['analysts', 'admins'])).toBe(true);
    expect(isAdmin(['administrators'])).toBe(false);
  });

  it('checks new grants: safe prefix outside homes, a matchable group name', () => {
    expect(checkGrant('reports/2026/', 'analysts')).toEqual({
      ok: true,
      pathPrefix: 'reports/2026/',
      group: 'analysts',
    });
    expect(checkGrant('public/', '*')).toMatchObject({ ok: true });
    expect(checkGrant('../x/', 'analysts')).toMatchObject({
      ok: false,
      code: 'INVALID_PATH',
      rule: 'dot-segment',
    });
    expect(checkGrant('users/', 'analysts')).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
    expect(checkGrant(`users/${BOB}/`, 'analysts')).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
    expect(checkGrant('users', 'analysts')).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
    for (const group of ['', 'a,b', 'a b', '[x]', 'x'.repeat(129)]) {
      expect(checkGrant('reports/', group)).toMatchObject({ ok: false, code: 'VALIDATION_FAILED' });
    }
  });
});
