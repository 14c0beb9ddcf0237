// Minimal typings for the two local servers that ship without types. Only what we call.

declare module 's3rver' {
  import type { EventEmitter } from 'node:events';
  import type { AddressInfo } from 'node:net';

  interface S3rverBucketConfig {
    name: string;
    configs?: Array<string | Buffer>;
  }
  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    vhostBuckets?: boolean;
    allowMismatchedSignatures?: boolean;
    serviceEndpoint?: string;
    configureBuckets?: S3rverBucketConfig[];
  }
  /** An S3 event record as s3rver emits it on `event` (ObjectCreated:Put/Post/Copy, ObjectRemoved:Delete). */
  interface S3rverEvent {
    Records: Array<{
      eventVersion: string;
      eventSource: string;
      awsRegion: string;
      eventTime: string;
      eventName: string;
      s3: {
        bucket: { name: string; arn?: string };
        object: { key: string; size?: number; eTag?: string; sequencer?: string };
      };
      [key: string]: unknown;
    }>;
  }
  /** The part of Koa's context (s3rver is a Koa app) the local stack's middleware uses. */
  interface S3rverContext {
    readonly method: string;
    /** The raw (URL-encoded) request path. */
    readonly path: string;
    readonly querystring: string;
    readonly headers: Record<string, string | string[] | undefined>;
    status: number;
    /** The response body: a plain object is rendered as XML (its one key the root element). */
    body: unknown;
    /** The request stream; s3rver's controllers read request bodies from it. */
    req: import('node:http').IncomingMessage;
  }
  type S3rverMiddleware = (ctx: S3rverContext, next: () => Promise<void>) => Promise<void>;
  class S3rver extends EventEmitter {
    constructor(options?: S3rverOptions);
    /** Koa's middleware stack; composed when the server starts listening (`run()`). */
    middleware: S3rverMiddleware[];
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    reset(): void;
    on(event: 'event', listener: (event: S3rverEvent) => void): this;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export type { S3rverContext, S3rverEvent, S3rverMiddleware, S3rverOptions };
  export default S3rver;
}

declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
  }
  function dynalite(options?: DynaliteOptions): Server;
  export default dynalite;
}
