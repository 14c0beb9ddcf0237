import { describe, expect, it } from 'vitest';
import { identityFromClaims, parseGroups } from '../../src/identity.ts';

describe('parseGroups', () => {
  it.each([
    [
      ['admins', 'analysts'],
      ['admins', 'analysts'],
    ],
    ['admins,analysts', ['admins', 'analysts']],
    ['admins, analysts', ['admins', 'analysts']],
    ['[admins analysts]', ['admins', 'analysts']],
    ['[admins, analysts]', ['admins', 'analysts']],
    ['["admins","analysts"]', ['admins', 'analysts']],
    ['admins', ['admins']],
    ['[]', []],
    ['', []],
    ['a,,a, b', ['a', 'b']],
    [undefined, []],
    [42, []],
    [['ok', 7, ''], ['ok']],
  ])('%j → %j', (value, groups) => {
    expect(parseGroups(value)).toEqual(groups);
  });
});

describe('identityFromClaims', () => {
  it('reads API Gateway string claims of an ID token', () => {
    const claims = { sub: 'u-1', 'cognito:username': 'ada', 'cognito:groups': '[admins analysts]' };
    expect(identityFromClaims(claims)).toEqual({
      userId: 'u-1',
      username: 'ada',
      groups: ['admins', 'analysts'],
    });
  });

  it('reads the access-token user name claim', () => {
    expect(identityFromClaims({ sub: 'u-1', username: 'ada' })).toEqual({
      userId: 'u-1',
      username: 'ada',
      groups: [],
    });
  });

  it('is undefined without sub or user name', () => {
    expect(identityFromClaims({ 'cognito:username': 'ada' })).toBeUndefined();
    expect(identityFromClaims({ sub: 'u-1' })).toBeUndefined();
    expect(identityFromClaims({ sub: '', 'cognito:username': 'ada' })).toBeUndefined();
    expect(identityFromClaims(undefined)).toBeUndefined();
    expect(identityFromClaims(null)).toBeUndefined();
  });
});
