import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildAsyncApi, buildOpenApi, type JsonObject, type JsonValue } from '../../src/docs/index.ts';
import {
  CLIENT_ACTIONS,
  ERROR_CODES,
  type RestRoute,
  ROUTES,
  restContractGaps,
  ServerFrameSchema,
} from '../../src/index.ts';

const REGENERATE = 'pnpm exec tsx scripts/gen-api-docs.ts';

/** Responses known to have no schema in protocol yet. This list may shrink, never grow. */
const KNOWN_GAPS: string[] = [];

// Built on first use, so a build that throws fails the tests that need it, not the whole file.
let openApiDoc: JsonObject | undefined;
let asyncApiDoc: JsonObject | undefined;
const openApi = () => (openApiDoc ??= buildOpenApi());
const asyncApi = () => (asyncApiDoc ??= buildAsyncApi());

function obj(value: JsonValue | undefined, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${what} is not an object`);
  return value;
}

/** Every `$ref` in a document, with where it was found. */
function refs(value: JsonValue, at = '#', found: [string, string][] = []): [string, string][] {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) refs(item, `${at}/${i}`, found);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') found.push([at, item]);
      else refs(item, `${at}/${key}`, found);
    }
  }
  return found;
}

/** Resolves a local JSON pointer (`#/a/b~1c`); undefined when nothing is there. */
function resolve(document: JsonObject, ref: string): JsonValue | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: JsonValue | undefined = document;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (typeof node !== 'object' || node === null) return undefined;
    node = Array.isArray(node) ? node[Number(key)] : node[key];
  }
  return node;
}

function unresolved(document: JsonObject): string[] {
  return refs(document)
    .filter(([, ref]) => resolve(document, ref) === undefined)
    .map(([at, ref]) => `${at}: ${ref}`);
}

/** Where two equal JSON values first order an object's keys differently, if anywhere. */
function keyOrderDifference(actual: unknown, expected: unknown, at = '#'): string | undefined {
  if (typeof actual !== 'object' || actual === null || typeof expected !== 'object' || expected === null) {
    return undefined;
  }
  const actualKeys = Object.keys(actual);
  const expectedKeys = Object.keys(expected);
  if (actualKeys.join() !== expectedKeys.join())
    return `${at}: keys [${actualKeys}], expected [${expectedKeys}]`;
  for (const key of actualKeys) {
    const difference = keyOrderDifference(
      (actual as Record<string, unknown>)[key],
      (expected as Record<string, unknown>)[key],
      `${at}/${key}`,
    );
    if (difference !== undefined) return difference;
  }
  return undefined;
}

function committed(name: string): unknown {
  const file = new URL(`../../../../docs/api/${name}`, import.meta.url);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`docs/api/${name} is missing or not JSON: run \`${REGENERATE}\` and commit it`, {
      cause: error,
    });
  }
}

describe('committed API documents', () => {
  it.each([
    ['openapi.json', openApi],
    ['asyncapi.json', asyncApi],
  ])('docs/api/%s equals a fresh build', (name, build) => {
    const fresh = build();
    const stale = `docs/api/${name} is stale: run \`${REGENERATE}\` and commit the result`;
    const onDisk = committed(name);
    expect(onDisk, stale).toEqual(fresh);
    // toEqual ignores key order; the generator's order is part of a reviewable diff.
    expect(keyOrderDifference(onDisk, fresh), stale).toBeUndefined();
  });
});

const routes = (): RestRoute[] => Object.values(ROUTES.http);

describe('ROUTES.http contracts', () => {
  it('declares exactly the path parameters of each route', () => {
    for (const route of routes()) {
      const inPath = [...route.path.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1]).sort();
      expect(Object.keys(route.request.params ?? {}).sort(), route.name).toEqual(inPath);
    }
  });

  it('gives every route a success response', () => {
    for (const route of routes()) {
      expect(Object.keys(route.responses).length, route.name).toBeGreaterThan(0);
    }
  });

  it('names only error codes of the catalogue', () => {
    for (const route of routes()) {
      for (const code of route.errors)
        expect(Object.hasOwn(ERROR_CODES, code), `${route.name}: ${code}`).toBe(true);
    }
  });

  it('adds no response without a schema beyond the known gaps', () => {
    expect(KNOWN_GAPS).toEqual(expect.arrayContaining(restContractGaps()));
  });
});

describe('buildOpenApi', () => {
  const operations = () => {
    const paths = obj(openApi().paths, 'paths');
    return routes().map((route) => {
      const path = route.path.replace(/\{(\w+)\+\}/g, '{$1}');
      const item = obj(paths[path], path);
      return { route, operation: obj(item[route.method.toLowerCase()], `${route.method} ${path}`) };
    });
  };

  it('is an OpenAPI 3.1 document with info', () => {
    expect(openApi().openapi).toBe('3.1.0');
    expect(obj(openApi().info, 'info')).toMatchObject({
      title: expect.any(String),
      version: expect.any(String),
    });
  });

  it('has one operation per route, each with responses and a unique operationId', () => {
    const paths = Object.values(obj(openApi().paths, 'paths'));
    const count = paths.reduce<number>((n, item) => n + Object.keys(obj(item, 'path')).length, 0);
    expect(count).toBe(routes().length);
    const ids = operations().map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { route, operation } of operations()) {
      expect(Object.keys(obj(operation.responses, 'responses')).length, route.path).toBeGreaterThan(0);
    }
  });

  it('names each operation after its route', () => {
    for (const { route, operation } of operations()) expect(operation.operationId).toBe(route.name);
  });

  it('documents every path parameter as required', () => {
    for (const { route, operation } of operations()) {
      const params = ((operation.parameters ?? []) as JsonObject[]).filter((p) => p.in === 'path');
      const inPath = [...route.path.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1]);
      expect(params.map((p) => p.name).sort(), route.path).toEqual(inPath.sort());
      for (const param of params) expect(param.required).toBe(true);
    }
  });

  it('guards cognito routes with the bearer scheme and documents their 401', () => {
    const schemes = obj(obj(openApi().components, 'components').securitySchemes, 'securitySchemes');
    expect(schemes.cognito).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const { route, operation } of operations()) {
      if (route.auth !== 'cognito') continue;
      expect(operation.security, route.path).toEqual([{ cognito: [] }]);
      expect(obj(operation.responses, 'responses')['401'], route.path).toBeDefined();
    }
  });

  it('answers every error status with the error envelope naming that status’s codes', () => {
    for (const { route, operation } of operations()) {
      for (const [status, value] of Object.entries(obj(operation.responses, 'responses'))) {
        if (Number(status) < 400) continue;
        const where = `${route.method} ${route.path} ${status}`;
        let response = obj(value, where);
        if (typeof response.$ref === 'string')
          response = obj(resolve(openApi(), response.$ref), response.$ref);
        const json = obj(obj(response.content, where)['application/json'], where);
        const [envelope, narrowed] = obj(json.schema, where).allOf as JsonObject[];
        expect(envelope, where).toEqual({ $ref: '#/components/schemas/ErrorEnvelope' });
        const codes = obj(obj(narrowed?.properties, where).code, where).enum as string[];
        expect(codes.length, where).toBeGreaterThan(0);
        for (const code of codes) {
          expect(ERROR_CODES[code as keyof typeof ERROR_CODES].status, `${where} ${code}`).toBe(
            Number(status),
          );
        }
      }
    }
  });

  it('resolves every $ref', () => {
    expect(unresolved(openApi())).toEqual([]);
  });
});

describe('buildAsyncApi', () => {
  const part = (key: string) => obj(asyncApi()[key], key);
  const channel = () => obj(part('channels').connection, 'connection');

  it('is an AsyncAPI 3.0 document with one channel for the connection', () => {
    expect(asyncApi().asyncapi).toBe('3.0.0');
    expect(Object.keys(part('channels'))).toEqual(['connection']);
    expect(channel().address).toBe('/');
    expect(obj(obj(channel().bindings, 'bindings').ws, 'ws').query).toMatchObject({
      properties: { ticket: expect.any(Object) },
    });
  });

  it('notes the 128 KB message limit', () => {
    expect(channel()['x-max-message-bytes']).toBe(128 * 1024);
    expect(String(part('info').description)).toContain('128 KB');
  });

  it('sends every client action and receives every server frame', () => {
    const byAction = (action: string) =>
      Object.values(part('operations'))
        .map((op) => obj(op, 'operation'))
        .filter((op) => op.action === action)
        .flatMap((op) => (op.messages as JsonObject[]).map((m) => String(m.$ref).split('/').at(-1)));
    expect(byAction('send').sort()).toEqual([...CLIENT_ACTIONS].sort());
    const frameTypes = ServerFrameSchema.options.map((frame) => frame.shape.type.value);
    expect(byAction('receive').sort()).toEqual([...frameTypes].sort());
  });

  it('keeps operations, channel messages and components consistent', () => {
    const messages = obj(part('components').messages, 'messages');
    expect(Object.keys(obj(channel().messages, 'messages')).sort()).toEqual(Object.keys(messages).sort());
    for (const [name, value] of Object.entries(part('operations'))) {
      const operation = obj(value, name);
      expect(operation.channel, name).toEqual({ $ref: '#/channels/connection' });
      for (const message of operation.messages as JsonObject[]) {
        expect(String(message.$ref), name).toMatch(/^#\/channels\/connection\/messages\//);
      }
    }
    for (const [name, message] of Object.entries(messages)) {
      expect(String(obj(obj(message, name).payload, name).$ref), name).toMatch(/^#\/components\/schemas\//);
    }
  });

  it('resolves every $ref', () => {
    expect(unresolved(asyncApi())).toEqual([]);
  });
});
