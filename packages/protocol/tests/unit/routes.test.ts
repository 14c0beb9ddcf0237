import { describe, expect, it } from 'vitest';
import { matchPath, ROUTES } from '../../src/index.ts';

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

describe('ROUTES', () => {
  it('routes every HTTP path to exactly one route per method', () => {
    const keys = ROUTES.http.map((route) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('selects WebSocket routes by the action field', () => {
    expect(ROUTES.ws.routeSelectionExpression).toBe('$request.body.action');
    expect(ROUTES.ws.routes.map((route) => route.routeKey)).toEqual(
      expect.arrayContaining(['$connect', '$disconnect', '$default']),
    );
  });
});
