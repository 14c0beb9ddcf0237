import { FileGrantListSchema, FileGrantSchema } from '@herald/protocol';
import { describe, expect, it } from 'vitest';
import { makeHttpCreateGrantHandler } from '../../src/handlers/http-create-grant.ts';
import { makeHttpDeleteGrantHandler } from '../../src/handlers/http-delete-grant.ts';
import { makeHttpListGrantsHandler } from '../../src/handlers/http-list-grants.ts';
import { ALICE, fakeDeps } from '../fakes/fake-deps.ts';

const ADMIN = '6f1c1f9e-3b1a-4c55-9d0e-ad0000000003';
const adminClaims: Record<string, unknown> = { sub: ADMIN, 'cognito:groups': 'admins' };
const event = (claims: Record<string, unknown>, options: { body?: unknown; id?: string } = {}) => ({
  body:
    options.body === undefined
      ? null
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body),
  pathParameters: options.id === undefined ? null : { id: options.id },
  // Cognito's tokens always name the user; the claims under test are the sub and the groups.
  requestContext: { requestId: 'r-1', authorizer: { claims: { 'cognito:username': 'someone', ...claims } } },
});

function setup() {
  const f = fakeDeps();
  const list = makeHttpListGrantsHandler(f.provide);
  const create = makeHttpCreateGrantHandler(f.provide);
  const remove = makeHttpDeleteGrantHandler(f.provide);
  const parse = (r: { statusCode: number; body: string }) => ({
    status: r.statusCode,
    json: r.body === '' ? undefined : JSON.parse(r.body),
  });
  return {
    ...f,
    list: async (claims = adminClaims) => parse(await list(event(claims))),
    create: async (body: unknown, claims = adminClaims) => parse(await create(event(claims, { body }))),
    remove: async (id: string, claims = adminClaims) => parse(await remove(event(claims, { id }))),
  };
}

describe('admin grant handlers', () => {
  it('refuses non-admins on every route with 403, changing nothing, and logs the refusal', async () => {
    const f = setup();
    for (const claims of [
      { sub: ALICE, 'cognito:groups': 'analysts' },
      { sub: ALICE },
      { sub: ALICE, 'cognito:groups': 'administrators' },
    ]) {
      expect((await f.list(claims)).status).toBe(403);
      expect((await f.create({ pathPrefix: 'x/', group: 'analysts' }, claims)).json.code).toBe('FORBIDDEN');
      expect((await f.remove('00000000-0000-4000-a000-000000000001', claims)).status).toBe(403);
    }
    expect(await f.grants.list()).toHaveLength(2);
    expect(f.logs.entries.filter((e) => e.message === 'admin route refused')).toHaveLength(9);
  });

  it('lists the seed grants', async () => {
    const f = setup();
    const res = await f.list();
    expect(res.status).toBe(200);
    expect(FileGrantListSchema.parse(res.json).grants.map((g) => [g.pathPrefix, g.group])).toEqual([
      ['public/', '*'],
      ['reports/', 'analysts'],
    ]);
  });

  it('creates a grant (201), refuses a duplicate (409), then deletes it (204) and answers 404 after', async () => {
    const f = setup();
    const created = await f.create({ pathPrefix: 'finance/2026/', group: 'finance' });
    expect(created.status).toBe(201);
    const grant = FileGrantSchema.parse(created.json);
    expect(grant).toMatchObject({ pathPrefix: 'finance/2026/', group: 'finance', createdBy: ADMIN });
    expect((await f.create({ pathPrefix: 'finance/2026/', group: 'finance' })).json.code).toBe('CONFLICT');
    expect(f.logs.entries.find((e) => e.message === 'file grant created')).toMatchObject({
      grantId: grant.id,
      by: ADMIN,
    });
    expect(await f.remove(grant.id.toUpperCase())).toEqual({ status: 204, json: undefined });
    expect((await f.remove(grant.id)).json.code).toBe('NOT_FOUND');
    expect((await f.remove('not-a-uuid')).status).toBe(404);
  });

  it.each([
    [{ pathPrefix: '../x/', group: 'analysts' }, 'INVALID_PATH'],
    [{ pathPrefix: '/abs/', group: 'analysts' }, 'INVALID_PATH'],
    [{ pathPrefix: 'users/', group: 'analysts' }, 'VALIDATION_FAILED'],
    [{ pathPrefix: 'reports/', group: 'a,b' }, 'VALIDATION_FAILED'],
    [{ pathPrefix: 'reports/' }, 'VALIDATION_FAILED'],
    ['{', 'BAD_REQUEST'],
  ])('refuses %j with 400 %s', async (body, code) => {
    const f = setup();
    const res = await f.create(body);
    expect([res.status, res.json.code]).toEqual([400, code]);
    expect(await f.grants.list()).toHaveLength(2);
  });
});
