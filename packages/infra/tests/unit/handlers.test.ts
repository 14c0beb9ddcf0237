import { ROUTES, type RouteTable } from '@herald/protocol';
import { TABLES } from '@herald/realtime/tables';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { addHeraldStack } from '../../lib/app.ts';
import {
  accessFor,
  assertHandlersExist,
  HANDLER_ACCESS,
  handlerEntry,
  handlerKey,
  MissingHandlerError,
  REPO_ROOT,
  routeHandlers,
} from '../../lib/handlers.ts';

const withMissing: RouteTable = {
  ...ROUTES,
  http: {
    ...ROUTES.http,
    nope: {
      ...ROUTES.http.whoami,
      name: 'nope',
      path: '/nope',
      handler: { package: 'ingest', name: 'http-does-not-exist' },
    },
  },
  topics: [...ROUTES.topics, { id: 'OtherTopic', handler: { package: 'realtime', name: 'sns-missing-too' } }],
};

describe('routeHandlers', () => {
  it('lists every handler the route table names, once', () => {
    const keys = routeHandlers(ROUTES).map(handlerKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toContain(handlerKey(ROUTES.ws.authorizer));
    for (const q of ROUTES.queues) expect(keys).toContain(handlerKey(q.handler));
    for (const t of ROUTES.topics) expect(keys).toContain(handlerKey(t.handler));
  });

  it('resolves a handler to packages/<package>/src/handlers/<name>.ts', () => {
    expect(handlerEntry({ package: 'realtime', name: 'ws-connect' }, '/repo')).toBe(
      '/repo/packages/realtime/src/handlers/ws-connect.ts',
    );
  });
});

describe('assertHandlersExist', () => {
  it('accepts the shared route table: every entry file exists', () => {
    expect(() => assertHandlersExist(ROUTES)).not.toThrow();
  });

  it('fails naming every missing entry file, relative to the repository', () => {
    let error: unknown;
    try {
      assertHandlersExist(withMissing, REPO_ROOT);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MissingHandlerError);
    expect((error as MissingHandlerError).files).toEqual([
      'packages/ingest/src/handlers/http-does-not-exist.ts',
      'packages/realtime/src/handlers/sns-missing-too.ts',
    ]);
    expect((error as Error).message).toMatch(/names 2 handler\(s\) without an entry file/);
  });

  it('makes the app fail at synth rather than skip the route', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(() => addHeraldStack(app, { nag: false, stackProps: { routes: withMissing } })).toThrow(
      /packages\/ingest\/src\/handlers\/http-does-not-exist\.ts/,
    );
  });
});

describe('HANDLER_ACCESS', () => {
  it('declares what every routed handler may touch, and nothing for handlers no route names', () => {
    const routed = routeHandlers(ROUTES).map(handlerKey).sort();
    expect(Object.keys(HANDLER_ACCESS).sort()).toEqual(routed);
  });

  it('refuses a handler without an entry', () => {
    expect(() => accessFor({ package: 'ingest', name: 'http-new' })).toThrow(/no entry in HANDLER_ACCESS/);
  });

  it('names only tables and indexes that TABLES defines', () => {
    for (const [key, access] of Object.entries(HANDLER_ACCESS)) {
      for (const grant of access.tables ?? []) {
        const def = TABLES.find((t) => t.id === grant.table);
        expect(def, `${key}: table ${grant.table}`).toBeDefined();
        const indexes = def?.globalSecondaryIndexes.map((g) => g.indexName) ?? [];
        for (const index of grant.indexes ?? []) expect(indexes, `${key}: index ${index}`).toContain(index);
      }
    }
  });

  it('gives object access under a prefix, never a whole bucket', () => {
    for (const access of Object.values(HANDLER_ACCESS)) {
      for (const grant of access.buckets ?? []) expect(grant.prefix).toMatch(/^[a-z]+\/$/);
    }
  });
});
