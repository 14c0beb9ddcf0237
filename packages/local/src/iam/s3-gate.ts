import { createRequire } from 'node:module';
import type { S3rverMiddleware } from 's3rver';
import { type BucketKeys, s3Requests } from './actions.ts';
import type { IamCheck } from './authority.ts';
import { signedCaller } from './caller.ts';

/** s3rver's error model: thrown from a middleware, s3rver renders it as S3's XML error. */
export interface S3ErrorClass {
  new (code: string, message: string, detail?: Record<string, string>): Error & { code: string };
}
const require = createRequire(import.meta.url);
/** s3rver's S3 error (`new S3Error('NoSuchUpload', message, detail)`), for the local S3's middlewares. */
export const S3Error = require('s3rver/lib/models/error.js') as S3ErrorClass;

/**
 * s3rver middleware that authorizes each S3 call as IAM does: the signer (Authorization header
 * or a presigned URL's `X-Amz-Credential`) against the actions the call needs (`actions.ts`);
 * a refusal is S3's `403 AccessDenied` XML. CORS preflights (`OPTIONS`) are not API calls and
 * pass. `DeleteObjects` (`POST ?delete`) is refused for a function: its keys are in a body this
 * gate does not read.
 *
 * For a function's GET/HEAD of a key that does not exist, S3 answers `404` only when the caller
 * also has `s3:ListBucket` on the bucket, and `403 AccessDenied` otherwise
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html and API_GetObject.html,
 * "Permissions"). s3rver always answers 404, so the gate asks IAM for `s3:ListBucket` on the
 * bucket (recorded like any call) and answers `403 AccessDenied` without it — code that reads
 * "missing" from a 404 finds out here, not in production.
 *
 * @example
 * server.middleware.splice(server.middleware.length - 1, 0, s3Gate(iam, (bucket) => keys.get(bucket)));
 */
export function s3Gate(iam: IamCheck, bucketKeys: BucketKeys): S3rverMiddleware {
  return async (ctx, next) => {
    if (ctx.method === 'OPTIONS') return next();
    const query = new URLSearchParams(ctx.querystring);
    const caller = signedCaller(ctx.headers, query);
    const derived = s3Requests(
      { method: ctx.method, path: ctx.path, query, headers: ctx.headers },
      bucketKeys,
    );
    const refusal = iam.authorize(caller, derived);
    if (refusal) throw new S3Error('AccessDenied', refusal.message);
    const read = (ctx.method === 'GET' || ctx.method === 'HEAD') && !('unknown' in derived);
    const object = read ? derived.find((r) => r.action.startsWith('s3:GetObject')) : undefined;
    if (!object || !iam.evaluates(caller)) return next();
    const bucket = object.resource.slice(0, object.resource.indexOf('/'));
    const deniedListing = () => iam.authorize(caller, [{ action: 's3:ListBucket', resource: bucket }]);
    try {
      await next();
    } catch (error) {
      const listing = (error as { code?: string }).code === 'NoSuchKey' ? deniedListing() : undefined;
      throw listing ? new S3Error('AccessDenied', listing.message) : error;
    }
    const listing = ctx.status === 404 ? deniedListing() : undefined;
    if (listing) throw new S3Error('AccessDenied', listing.message);
  };
}
