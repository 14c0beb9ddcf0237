import type { ZodType } from 'zod';
import * as z from 'zod';

// What the OpenAPI and AsyncAPI builders share: named zod schemas turned into JSON Schema
// components with `z.toJSONSchema`, so a document cannot say something the validators do not
// enforce. Each component's description is its schema's own (`.meta({ description })`).
// Pure: no I/O, and the same schemas always give the same documents, keys in the same order.

/**
 * A JSON value, as the documents hold them.
 *
 * @example
 * const value: JsonValue = { openapi: '3.1.0', tags: ['jobs'] };
 */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/**
 * A JSON object: an API document or any object in it.
 *
 * @example
 * const info: JsonObject = { title: 'Herald REST API', version: API_VERSION };
 */
export type JsonObject = { [key: string]: JsonValue };

/** The API generation: the REST stage (`/v1`) and the generation the WebSocket subprotocol names (`herald.v1`). */
export const API_VERSION = 'v1';
/** The media type of every body and message. */
export const JSON_MEDIA_TYPE = 'application/json';

/** Which side of a schema a document shows: what a sender must write, or what a parser returns. */
export type Io = 'input' | 'output';

export type JsonSchemaTarget = 'draft-2020-12' | 'draft-07';

/** Named schemas as JSON Schema, keyed by component id, refs pointing at `refBase + id`. */
export interface ComponentSet {
  readonly refBase: string;
  readonly target: JsonSchemaTarget;
  /** Schema by component id (`components.schemas.<id>`). */
  readonly components: Readonly<Record<string, ZodType>>;
  /** Component id of each schema, to turn a body into a `$ref`. */
  readonly ids: ReadonlyMap<ZodType, string>;
}

/**
 * Indexes named schemas; throws when one schema has two names.
 *
 * @example
 * const set = componentSet({ JobView: JobViewSchema }, '#/components/schemas/', 'draft-2020-12');
 */
export function componentSet(
  components: Readonly<Record<string, ZodType>>,
  refBase: string,
  target: JsonSchemaTarget,
): ComponentSet {
  const ids = new Map<ZodType, string>();
  for (const [id, schema] of Object.entries(components)) {
    const other = ids.get(schema);
    if (other !== undefined) throw new Error(`api-docs: one schema is named both ${other} and ${id}`);
    ids.set(schema, id);
  }
  return { refBase, target, components, ids };
}

/**
 * `{ $ref }` to a named schema; throws for a schema without a component name rather than inline it.
 *
 * @example
 * refTo(set, JobViewSchema, 'getJob 200'); // { $ref: '#/components/schemas/JobView' }
 */
export function refTo(set: ComponentSet, schema: ZodType, where: string): JsonObject {
  const id = set.ids.get(schema);
  if (id === undefined) {
    throw new Error(
      `api-docs: the schema of ${where} has no component name; add it to the components of its document builder`,
    );
  }
  return { $ref: `${set.refBase}${id}` };
}

/** Drops what a standalone JSON Schema carries and an embedded one must not (`$schema`, `$id`). */
function embedded(schema: unknown): JsonObject {
  const { $schema: _schema, $id: _id, ...rest } = schema as JsonObject;
  return rest;
}

/**
 * A schema as JSON Schema in place (path parameters, query parameters, bindings).
 *
 * @example
 * inlineSchema(z.uuid(), 'draft-2020-12', 'input'); // { type: 'string', format: 'uuid', pattern: … }
 */
export function inlineSchema(schema: ZodType, target: JsonSchemaTarget, io: Io): JsonObject {
  return embedded(z.toJSONSchema(schema, { target, io }));
}

function convertAll(set: ComponentSet, io: Io): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(set.components)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: set.target,
    io,
    uri: (id) => `${set.refBase}${id}`,
  });
  const out: Record<string, JsonObject> = {};
  for (const [id, schema] of Object.entries(schemas)) out[id] = embedded(schema);
  return out;
}

function refsIn(value: JsonValue, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string') found.push(item);
      else refsIn(item, found);
    }
  }
  return found;
}

/** Component ids reachable from `roots` through `$ref`s, roots included. */
function reachable(
  schemas: Record<string, JsonObject>,
  refBase: string,
  roots: Iterable<string>,
): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
    const schema = schemas[id];
    if (seen.has(id) || schema === undefined) continue;
    seen.add(id);
    for (const ref of refsIn(schema)) if (ref.startsWith(refBase)) queue.push(ref.slice(refBase.length));
  }
  return seen;
}

/**
 * Every component as JSON Schema, in id order, its description first. A component reachable
 * only from what clients send is shown as input (what a sender must write), any other as output
 * (what the server writes); one reachable from both must read the same both ways, or this throws
 * rather than document one side wrongly. A component without a description throws too.
 *
 * @example
 * const schemas = emitComponents(set, [CreateUploadRequestSchema]);
 */
export function emitComponents(set: ComponentSet, inputRoots: readonly ZodType[]): JsonObject {
  const input = convertAll(set, 'input');
  const output = convertAll(set, 'output');
  const rootIds = inputRoots.map((schema) => set.ids.get(schema) as string);
  const inputIds = reachable(input, set.refBase, rootIds);
  const outputIds = reachable(
    output,
    set.refBase,
    Object.keys(set.components).filter((id) => !rootIds.includes(id)),
  );
  const emitted: JsonObject = {};
  for (const id of Object.keys(set.components).sort()) {
    const inSchema = input[id] as JsonObject;
    const outSchema = output[id] as JsonObject;
    if (inputIds.has(id) && outputIds.has(id) && JSON.stringify(inSchema) !== JSON.stringify(outSchema)) {
      throw new Error(
        `api-docs: ${id} is both sent and received but its input and output forms differ; name each form`,
      );
    }
    const { description, ...schema } = inputIds.has(id) && !outputIds.has(id) ? inSchema : outSchema;
    if (typeof description !== 'string' || description === '') {
      throw new Error(`api-docs: ${id} has no description; give its schema .meta({ description })`);
    }
    emitted[id] = { description, ...schema };
  }
  return emitted;
}
