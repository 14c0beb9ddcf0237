import { describe, expect, it } from 'vitest';
import {
  matchPath,
  REST_ENDPOINTS,
  type RestRoute,
  ROUTES,
  restErrorCodes,
  restPath,
} from '../../src/index.ts';

describe('matchPath', () => {
  it('matches a literal path with no parameters', () => {
    expect(matchPath('/me', '/me')).toEqual({});
  });

  it('ignores a trailing slash', () => {
    expect(matchPath('/me', '/me/')).toEqual({});
  });

  it('captures a {name} parameter', () => {
    expect(matchPath('/jobs/{id}', '/jobs/123')).toEqual({ id: '123' });
  });

  it('captures a greedy {name+} parameter across segments', () => {
    expect(matchPath('/files/{path+}', '/files/reports/2024/q1.pdf')).toEqual({
      path: 'reports/2024/q1.pdf',
    });
  });

  it('captures parameters before a greedy one', () => {
    expect(matchPath('/a/{x}/{rest+}', '/a/1/b/c')).toEqual({ x: '1', rest: 'b/c' });
  });

  it('requires at least one segment for a greedy parameter', () => {
    expect(matchPath('/files/{path+}', '/files')).toBeUndefined();
  });

  it.each([
    ['a different literal', '/me', '/you'],
    ['a missing segment', '/jobs/{id}', '/jobs'],
    ['an extra segment', '/jobs/{id}', '/jobs/1/extra'],
    ['a literal after a parameter', '/jobs/{id}/events', '/jobs/1/other'],
  ])('returns undefined for %s', (_label, template, path) => {
    expect(matchPath(template, path)).toBeUndefined();
  });
});

describe('restPath', () => {
  it('fills a template with each parameter URL-encoded', () => {
    expect(restPath('/jobs/{id}/errors', { id: 'a b' })).toBe('/jobs/a%20b/errors');
    expect(restPath('/devices/{token}', { token: 'fcm:token/1' })).toBe('/devices/fcm%3Atoken%2F1');
    expect(restPath('/me', {})).toBe('/me');
  });

  it('keeps the slashes of a greedy parameter and encodes each segment', () => {
    expect(restPath('/files/{path+}', { path: 'q3 report/a#1.csv' })).toBe('/files/q3%20report/a%231.csv');
  });

  it('refuses a missing or empty parameter rather than address another resource', () => {
    expect(() => restPath('/jobs/{id}', { id: '' })).toThrow(TypeError);
    expect(() => restPath('/jobs/{id}', {} as { id: string })).toThrow(/`id`/);
  });

  it('builds paths matchPath reads back', () => {
    const template = '/a/{x}/{rest+}';
    const path = restPath(template, { x: '1/2', rest: 'b c/d' });
    const raw = matchPath(template, path) ?? {};
    expect(
      Object.fromEntries(
        Object.entries(raw).map(([k, v]) => [k, v.split('/').map(decodeURIComponent).join('/')]),
      ),
    ).toEqual({
      x: '1/2',
      rest: 'b c/d',
    });
  });
});

describe('ROUTES', () => {
  const routes = (): RestRoute[] => Object.values(ROUTES.http);

  it('holds one contract per REST endpoint, under its name, with its method and path', () => {
    expect(Object.keys(ROUTES.http)).toEqual(Object.keys(REST_ENDPOINTS));
    for (const [name, endpoint] of Object.entries(REST_ENDPOINTS)) {
      expect(ROUTES.http[name as keyof typeof REST_ENDPOINTS], name).toMatchObject({ name, ...endpoint });
    }
  });

  it('routes every HTTP path to exactly one route per method', () => {
    const keys = routes().map((route) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('documents the authorizer’s and the common error codes on top of a route’s own', () => {
    expect(restErrorCodes(ROUTES.http.getJob)).toEqual([
      'NOT_FOUND',
      'UPSTREAM_UNAVAILABLE',
      'UNAUTHENTICATED',
      'RATE_LIMITED',
      'INTERNAL',
    ]);
    expect(restErrorCodes({ ...ROUTES.http.whoami, auth: 'none' })).toEqual(['RATE_LIMITED', 'INTERNAL']);
  });

  it('selects WebSocket routes by the action field', () => {
    expect(ROUTES.ws.routeSelectionExpression).toBe('$request.body.action');
    expect(ROUTES.ws.routes.map((route) => route.routeKey)).toEqual(
      expect.arrayContaining(['$connect', '$disconnect', '$default']),
    );
  });
});
