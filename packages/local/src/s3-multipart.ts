import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MULTIPART_LIMITS } from '@herald/protocol';
import type { S3rverMiddleware } from 's3rver';
import { S3Error } from './iam/s3-gate.ts';

/** The multipart front of the local S3 and its expiry sweep (see {@link multipartFront}). */
export interface MultipartFront {
  readonly middleware: S3rverMiddleware;
  /** Aborts every upload older than its bucket's expiry; resolves with how many it aborted. */
  sweep(): Promise<number>;
}

export interface MultipartFrontOptions {
  /** s3rver's `directory`. */
  readonly dir: string;
  /** Days after initiation at which a bucket's incomplete uploads are aborted; undefined: never. */
  readonly expiryDays: (bucket: string) => number | undefined;
  /** @default Date.now */
  readonly now?: () => number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_PARTS_PER_PAGE = 1000;
// s3rver's upload ids: 16 random bytes in hex. Anything else is no upload (and no path).
const UPLOAD_ID = /^[0-9a-f]{32}$/;

/** `/bucket/k%2Fx` → `{ bucket, key }`, path-style, or undefined for a bucket-level path. */
function target(path: string): { bucket: string; key: string } | undefined {
  const [, bucket, ...rest] = path.split('/');
  if (!bucket || rest.length === 0 || rest.join('') === '') return undefined;
  return { bucket: decodeURIComponent(bucket), key: decodeURIComponent(rest.join('/')) };
}

interface Part {
  readonly number: number;
  readonly etag: string;
  readonly size: number;
  readonly modified: Date;
}

/**
 * Fills s3rver 3.7.1's multipart gaps with S3's behaviour, as a middleware in front of its router
 * (behind the IAM gate, so each call is authorized first). s3rver stores an upload in
 * `<dir>/<bucket>/._S3rver_uploads/<uploadId>/` (`key`, `metadata`, one file per part plus its
 * `.md5`); this module reads and removes that folder. What differs from S3 is recorded in
 * docs/adr/009-local-multipart-uploads.md.
 *
 * - `ListParts` (`GET ?uploadId`): s3rver answers 405; here S3's `ListPartsResult`, paged by
 *   `max-parts` (≤ 1,000) and `part-number-marker`.
 * - `AbortMultipartUpload` (`DELETE ?uploadId`): s3rver deletes the OBJECT; here the parts, 204.
 * - `UploadPart` (`PUT ?uploadId&partNumber`): s3rver stores parts of any upload id (even an
 *   unknown one) and any part number; here `NoSuchUpload` and `InvalidArgument` as S3 answers.
 * - `CompleteMultipartUpload` (`POST ?uploadId`): s3rver ignores the ETags and part sizes and
 *   fails with a 500 for an unknown upload; here `NoSuchUpload`, `InvalidPartOrder`,
 *   `InvalidPart` (missing part or other ETag) and `EntityTooSmall` (a part but the last under
 *   5 MiB) before s3rver assembles the parts.
 * - Expiry: an upload older than its bucket's `AbortIncompleteMultipartUpload` rule is aborted
 *   when touched, and by {@link MultipartFront.sweep} (the stack runs it hourly).
 *
 * Reference: https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListParts.html,
 * API_AbortMultipartUpload.html, API_UploadPart.html, API_CompleteMultipartUpload.html.
 *
 * @example
 * const front = multipartFront({ dir, expiryDays: (bucket) => 1 });
 * server.middleware.splice(server.middleware.length - 1, 0, front.middleware);
 */
export function multipartFront(options: MultipartFrontOptions): MultipartFront {
  const now = options.now ?? Date.now;
  const uploadsDir = (bucket: string) => join(options.dir, bucket, '._S3rver_uploads');

  /** The upload's folder if it exists for this key and has not expired (an expired one is removed). */
  async function openUpload(bucket: string, key: string, uploadId: string): Promise<string> {
    const noSuchUpload = () =>
      new S3Error(
        'NoSuchUpload',
        'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
        { UploadId: uploadId },
      );
    if (!UPLOAD_ID.test(uploadId)) throw noSuchUpload();
    const folder = join(uploadsDir(bucket), uploadId);
    let storedKey: string;
    let initiated: number;
    try {
      storedKey = await readFile(join(folder, 'key'), 'utf8');
      initiated = (await stat(join(folder, 'key'))).mtimeMs;
    } catch {
      throw noSuchUpload();
    }
    if (storedKey !== key) throw noSuchUpload();
    const days = options.expiryDays(bucket);
    if (days !== undefined && now() - initiated >= days * DAY_MS) {
      await rm(folder, { recursive: true, force: true });
      throw noSuchUpload();
    }
    return folder;
  }

  async function partsOf(folder: string): Promise<Part[]> {
    const names = (await readdir(folder)).filter((n) => /^\d+$/.test(n));
    const parts = await Promise.all(
      names.map(async (name) => {
        const [info, md5] = await Promise.all([
          stat(join(folder, name)),
          readFile(join(folder, `${name}.md5`), 'utf8').catch(() => undefined),
        ]);
        // A part whose .md5 is missing is still being written: S3 lists only stored parts.
        return md5 === undefined
          ? undefined
          : { number: Number(name), etag: `"${md5.trim()}"`, size: info.size, modified: info.mtime };
      }),
    );
    return parts.filter((p): p is Part => p !== undefined).sort((a, b) => a.number - b.number);
  }

  async function listParts(
    ctx: Parameters<S3rverMiddleware>[0],
    bucket: string,
    key: string,
    uploadId: string,
  ) {
    const folder = await openUpload(bucket, key, uploadId);
    const query = new URLSearchParams(ctx.querystring);
    const maxParts = Math.min(
      Number(query.get('max-parts') ?? MAX_PARTS_PER_PAGE) || MAX_PARTS_PER_PAGE,
      MAX_PARTS_PER_PAGE,
    );
    const marker = Number(query.get('part-number-marker') ?? 0) || 0;
    const after = (await partsOf(folder)).filter((p) => p.number > marker);
    const page = after.slice(0, maxParts);
    const truncated = after.length > page.length;
    ctx.status = 200;
    ctx.body = {
      ListPartsResult: {
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        PartNumberMarker: marker,
        ...(truncated && { NextPartNumberMarker: page.at(-1)?.number ?? marker }),
        MaxParts: maxParts,
        IsTruncated: truncated,
        StorageClass: 'STANDARD',
        Part: page.map((p) => ({
          PartNumber: p.number,
          LastModified: p.modified.toISOString(),
          ETag: p.etag,
          Size: p.size,
        })),
      },
    };
  }

  /** Checks a CompleteMultipartUpload body as S3 does, then hands s3rver the same bytes. */
  async function checkComplete(ctx: Parameters<S3rverMiddleware>[0], folder: string): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const text = body.toString('utf8');
    const listed = [...text.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
      number: Number(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(m[1] ?? '')?.[1]),
      etag: (/<ETag>([\s\S]*?)<\/ETag>/.exec(m[1] ?? '')?.[1] ?? '').replace(/&quot;|"/g, '').trim(),
    }));
    listed.forEach((part, i) => {
      if (i > 0 && part.number <= (listed[i - 1]?.number ?? 0))
        throw new S3Error(
          'InvalidPartOrder',
          'The list of parts was not in ascending order. Parts must be ordered by part number.',
        );
    });
    const held = new Map((await partsOf(folder)).map((p) => [p.number, p]));
    listed.forEach((part, i) => {
      const stored = held.get(part.number);
      if (stored === undefined || stored.etag.replace(/"/g, '') !== part.etag)
        throw new S3Error(
          'InvalidPart',
          "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
          { PartNumber: String(part.number), ETag: part.etag },
        );
      if (i < listed.length - 1 && stored.size < MULTIPART_LIMITS.minPartBytes)
        throw new S3Error(
          'EntityTooSmall',
          'Your proposed upload is smaller than the minimum allowed object size.',
          {
            ProposedSize: String(stored.size),
            MinSizeAllowed: String(MULTIPART_LIMITS.minPartBytes),
            PartNumber: String(part.number),
          },
        );
    });
    // s3rver's controller reads the body from `ctx.req` again.
    ctx.req = Object.assign(Readable.from([body]), { headers: ctx.req.headers }) as unknown as typeof ctx.req;
  }

  // Completing and aborting an upload remove its folder, and s3rver assembles the object from
  // part files it opens as it goes: two of them at once could both succeed (an abort after the
  // object was assembled), hang, or read a part the other just removed — an error nobody listened
  // to, which ended the whole process. S3 settles them one at a time; so does this, per upload.
  const settling = new Map<string, Promise<unknown>>();
  async function oneAtATime<T>(uploadId: string, work: () => Promise<T>): Promise<T> {
    const run = (settling.get(uploadId) ?? Promise.resolve()).then(work, work);
    const done = run.catch(() => {});
    settling.set(uploadId, done);
    try {
      return await run;
    } finally {
      if (settling.get(uploadId) === done) settling.delete(uploadId);
    }
  }

  const middleware: S3rverMiddleware = async (ctx, next) => {
    const query = new URLSearchParams(ctx.querystring);
    const uploadId = query.get('uploadId');
    const where = target(ctx.path);
    if (uploadId === null || where === undefined) return next();
    const { bucket, key } = where;
    switch (ctx.method) {
      case 'GET':
        return listParts(ctx, bucket, key, uploadId);
      case 'DELETE':
        return oneAtATime(uploadId, async () => {
          await rm(await openUpload(bucket, key, uploadId), { recursive: true, force: true });
          ctx.status = 204;
          ctx.body = '';
        });
      case 'PUT': {
        await openUpload(bucket, key, uploadId);
        const partNumber = query.get('partNumber') ?? '';
        const n = Number(partNumber);
        if (!/^\d+$/.test(partNumber) || n < 1 || n > MULTIPART_LIMITS.maxParts)
          throw new S3Error(
            'InvalidArgument',
            `Part number must be an integer between 1 and ${MULTIPART_LIMITS.maxParts}, inclusive`,
            {
              ArgumentName: 'partNumber',
              ArgumentValue: partNumber,
            },
          );
        return next();
      }
      case 'POST':
        return oneAtATime(uploadId, async () => {
          await checkComplete(ctx, await openUpload(bucket, key, uploadId));
          await next();
        });
      default:
        return next();
    }
  };

  async function sweep(): Promise<number> {
    let aborted = 0;
    for (const bucket of await readdir(options.dir).catch(() => [] as string[])) {
      const days = options.expiryDays(bucket);
      if (days === undefined) continue;
      for (const uploadId of await readdir(uploadsDir(bucket)).catch(() => [] as string[])) {
        const folder = join(uploadsDir(bucket), uploadId);
        const initiated = await stat(join(folder, 'key')).then(
          (s) => s.mtimeMs,
          () => undefined,
        );
        if (initiated !== undefined && now() - initiated >= days * DAY_MS) {
          await oneAtATime(uploadId, () => rm(folder, { recursive: true, force: true }));
          aborted++;
        }
      }
    }
    return aborted;
  }

  return { middleware, sweep };
}
