/**
 * Where a Lambda handler lives. A reference resolves to
 * `packages/<package>/src/handlers/<name>.ts`, which exports `handler` (the Lambda entry point);
 * `@herald/<package>/handlers/<name>` is its import path. Route tables name handlers instead of
 * importing them, so `@herald/protocol` stays free of server code.
 *
 * @example
 * const ref: HandlerRef = { package: 'ingest', name: 'http-get-job' }; // packages/ingest/src/handlers/http-get-job.ts
 */
export interface HandlerRef {
  readonly package: 'ingest' | 'files' | 'realtime';
  /** kebab-case file name under `src/handlers/`, named by trigger (`http-whoami`, `ws-connect`). */
  readonly name: string;
}

/**
 * A handler of `@herald/realtime`.
 *
 * @example
 * realtimeHandler('ws-connect'); // { package: 'realtime', name: 'ws-connect' }
 */
export const realtimeHandler = (name: string): HandlerRef => ({ package: 'realtime', name });
/**
 * A handler of `@herald/ingest`.
 *
 * @example
 * ingestHandler('sqs-ingest'); // { package: 'ingest', name: 'sqs-ingest' }
 */
export const ingestHandler = (name: string): HandlerRef => ({ package: 'ingest', name });
/**
 * A handler of `@herald/files`.
 *
 * @example
 * filesHandler('sqs-fetch-file'); // { package: 'files', name: 'sqs-fetch-file' }
 */
export const filesHandler = (name: string): HandlerRef => ({ package: 'files', name });
