import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { referencedId } from '../template/intrinsics.ts';
import type { CfnTemplate } from '../template/model.ts';
import { checkSignedUrl } from './signed-url.ts';

/**
 * The local stand-in for the downloads distribution (`AWS::CloudFront::Distribution` with an S3
 * origin and a trusted key group): an HTTP server that does what that distribution does for a
 * viewer request — checks the signed URL against the key group's public keys (signature, expiry,
 * path), answers CloudFront's `403` when it fails, and otherwise reads the object from the origin
 * bucket as Origin Access Control would (the bucket's owner; s3rver has no bucket policies),
 * passing on the one query parameter the origin request policy forwards,
 * `response-content-disposition`, as the `Content-Disposition` S3 would answer with. A missing
 * object is `403` too: OAC is granted `s3:GetObject` only, and S3 answers a caller without
 * `s3:ListBucket` 403 for a missing key. What it does not reproduce: caching (Herald's behaviour
 * caches nothing), edge locations, HTTP/3, TLS (local links are `http:`), the response-headers
 * policy's security headers, custom policies.
 */

/** A distribution of the template the local stack can stand in for. */
export interface DistributionSpec {
  readonly id: string;
  /** Logical id of the origin bucket. */
  readonly bucketId: string;
  /** Public keys of its trusted key groups: PEM by the `AWS::CloudFront::PublicKey` logical id. */
  readonly publicKeys: ReadonlyMap<string, string>;
}

/**
 * The template's distributions with one S3 origin and trusted key groups.
 *
 * @example
 * const [downloads] = signedDistributions(model.template);
 */
export function signedDistributions(template: CfnTemplate): DistributionSpec[] {
  const out: DistributionSpec[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::CloudFront::Distribution') continue;
    const config = r.Properties?.DistributionConfig as
      | {
          Origins?: { DomainName?: unknown }[];
          DefaultCacheBehavior?: { TrustedKeyGroups?: unknown[] };
        }
      | undefined;
    const bucketId = referencedId(config?.Origins?.[0]?.DomainName);
    const groups = (config?.DefaultCacheBehavior?.TrustedKeyGroups ?? []).map((g) => referencedId(g));
    if (bucketId === undefined || groups.length === 0) continue;
    const publicKeys = new Map<string, string>();
    for (const groupId of groups) {
      const group = groupId === undefined ? undefined : template.Resources[groupId];
      const items = (group?.Properties?.KeyGroupConfig as { Items?: unknown[] } | undefined)?.Items ?? [];
      for (const item of items) {
        const keyId = referencedId(item);
        const key = keyId === undefined ? undefined : template.Resources[keyId];
        const pem = (key?.Properties?.PublicKeyConfig as { EncodedKey?: unknown } | undefined)?.EncodedKey;
        if (keyId !== undefined && typeof pem === 'string') publicKeys.set(keyId, pem);
      }
    }
    out.push({ id, bucketId, publicKeys });
  }
  return out;
}

export interface LocalDistributionOptions {
  /** The physical name of the origin bucket. */
  readonly bucket: string;
  /** s3rver's endpoint. */
  readonly s3Endpoint: string;
  /** Trusted public keys (PEM) by the `Key-Pair-Id` links carry (the local id of each key). */
  readonly publicKeys: ReadonlyMap<string, string>;
  /** Epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

export interface LocalDistribution {
  /** What stands for `https://<distribution domain>` in the functions' environment. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Starts the stand-in on a free loopback port.
 *
 * @example
 * const cdn = await startLocalDistribution({ bucket, s3Endpoint, publicKeys });
 * // aliases: { from: 'https://<id>.cloudfront.net', to: cdn.url }
 */
export async function startLocalDistribution(options: LocalDistributionOptions): Promise<LocalDistribution> {
  const now = options.now ?? Date.now;
  // The owner's key: OAC is a service principal the bucket policy admits, not a function's role.
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: options.s3Endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  let url = '';
  const denied = (res: ServerResponse, why: string) => {
    options.log?.(`local CloudFront: 403 (${why})`);
    // CloudFront's answer to a missing, invalid or expired signature.
    res
      .writeHead(403, { 'content-type': 'text/xml' })
      .end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access denied</Message></Error>',
      );
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(403).end();
      return;
    }
    let check: ReturnType<typeof checkSignedUrl>;
    try {
      check = checkSignedUrl(url, req.url ?? '/', options.publicKeys, now() / 1000);
    } catch {
      check = { ok: false, reason: 'malformed URL' };
    }
    if (!check.ok) return denied(res, check.reason);
    const key = check.path.replace(/^\/+/, '');
    try {
      const object = await s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
      const disposition = check.query.get('response-content-disposition');
      res.writeHead(200, {
        'content-type': object.ContentType ?? 'application/octet-stream',
        ...(object.ContentLength !== undefined && { 'content-length': String(object.ContentLength) }),
        ...(object.ETag !== undefined && { etag: object.ETag }),
        ...(disposition !== null && { 'content-disposition': disposition }),
        'x-cache': 'Miss from cloudfront',
      });
      if (req.method === 'HEAD') {
        res.end();
        (object.Body as Readable | undefined)?.destroy();
        return;
      }
      (object.Body as Readable).pipe(res);
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === 'NoSuchKey')
        return denied(res, 'no such object (OAC cannot list the bucket)');
      options.log?.(`local CloudFront: origin error ${String(error)}`);
      // CloudFront's answer when the origin fails.
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    }
  };
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        s3.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
