/**
 * `@herald/protocol/docs`: the OpenAPI 3.1 and AsyncAPI 3.0 documents of Herald, built from the
 * route contracts and zod schemas. `scripts/gen-api-docs.ts` writes them to `docs/api/`; a unit
 * test fails when those are stale.
 */
export { buildAsyncApi } from './asyncapi.ts';
export type { JsonObject, JsonValue } from './components.ts';
export { buildOpenApi } from './openapi.ts';
