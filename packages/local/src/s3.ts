import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import S3rver from 's3rver';
import type { BucketKeys } from './iam/actions.ts';
import type { IamCheck } from './iam/authority.ts';
import { s3Gate } from './iam/s3-gate.ts';
import { multipartFront } from './s3-multipart.ts';

export interface LocalS3 {
  readonly endpoint: string;
  readonly server: S3rver;
  /** Lets requests signed with this key pair in (a function's own credentials). */
  registerAccessKey(accessKeyId: string, secretAccessKey: string): void;
  /** Aborts the multipart uploads past their bucket's expiry now (the stack also does it hourly). */
  sweepExpiredUploads(): Promise<number>;
  stop(): Promise<void>;
}

/** One CORS rule of a bucket, as `AWS::S3::Bucket` `CorsConfiguration.CorsRules` states it. */
export interface BucketCorsRule {
  readonly allowedOrigins: readonly string[];
  readonly allowedMethods: readonly string[];
  readonly allowedHeaders: readonly string[];
  readonly exposedHeaders: readonly string[];
  readonly maxAgeSeconds: number | undefined;
}

export interface LocalBucket {
  readonly name: string;
  /** @default no CORS: a browser cannot call the bucket */
  readonly cors?: readonly BucketCorsRule[];
  /** The bucket's lifecycle rule for incomplete multipart uploads. @default never aborted */
  readonly abortIncompleteUploadsAfterDays?: number;
}

export interface StartS3Options {
  readonly dataDir: string;
  readonly buckets: readonly LocalBucket[];
  /** Authorizes each call as IAM does (see `iam/s3-gate.ts`). @default every call is served */
  readonly iam?: { readonly check: IamCheck; readonly bucketKeys: BucketKeys };
  /** The clock of multipart upload expiry. @default Date.now */
  readonly now?: () => number;
}

/** How often the stack aborts expired multipart uploads nobody touches (S3's lifecycle runs daily). */
const EXPIRY_SWEEP_MS = 60 * 60 * 1000;

/** S3's CORS XML for a bucket's rules (s3rver reads the same document PutBucketCors takes). */
export function corsXml(rules: readonly BucketCorsRule[]): string {
  const list = (tag: string, values: readonly string[]) =>
    values.map((v) => `<${tag}>${v}</${tag}>`).join('');
  const rule = (r: BucketCorsRule) =>
    `<CORSRule>${list('AllowedOrigin', r.allowedOrigins)}${list('AllowedMethod', r.allowedMethods)}` +
    `${list('AllowedHeader', r.allowedHeaders)}${list('ExposeHeader', r.exposedHeaders)}` +
    `${r.maxAgeSeconds === undefined ? '' : `<MaxAgeSeconds>${r.maxAgeSeconds}</MaxAgeSeconds>`}</CORSRule>`;
  return `<CORSConfiguration>${rules.map(rule).join('')}</CORSConfiguration>`;
}

/** s3rver's account registry (it refuses access keys it does not know, as S3 does). */
interface S3rverAccount {
  createKeyPair(accessKeyId: string, secretAccessKey: string): void;
}
const require = createRequire(import.meta.url);
const accounts = require('s3rver/lib/models/account.js') as { DUMMY_ACCOUNT: S3rverAccount };

/** Starts s3rver (S3's HTTP protocol on loopback) with the stack's buckets. */
export async function startS3(options: StartS3Options): Promise<LocalS3> {
  mkdirSync(options.dataDir, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: options.dataDir,
    // Path-style only: virtual-host buckets would need DNS for *.localhost.
    vhostBuckets: false,
    configureBuckets: options.buckets.map((b) => ({
      name: b.name,
      configs: b.cors && b.cors.length > 0 ? [corsXml(b.cors)] : [],
    })),
  });
  const expiry = new Map(options.buckets.map((b) => [b.name, b.abortIncompleteUploadsAfterDays]));
  const multipart = multipartFront({
    dir: options.dataDir,
    expiryDays: (bucket) => expiry.get(bucket),
    ...(options.now && { now: options.now }),
  });
  // Before s3rver's router (the last middleware), after its logging and XML rendering: the IAM
  // gate first, then what s3rver lacks of S3's multipart API (`s3-multipart.ts`).
  server.middleware.splice(
    server.middleware.length - 1,
    0,
    ...(options.iam ? [s3Gate(options.iam.check, options.iam.bucketKeys)] : []),
    multipart.middleware,
  );
  const sweeper = setInterval(() => void multipart.sweep().catch(() => {}), EXPIRY_SWEEP_MS);
  sweeper.unref();
  await multipart.sweep();
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    server,
    registerAccessKey: (id, secret) => accounts.DUMMY_ACCOUNT.createKeyPair(id, secret),
    sweepExpiredUploads: () => multipart.sweep(),
    stop: () => {
      clearInterval(sweeper);
      return server.close();
    },
  };
}
