import {
  type MultipartUpload,
  type PresignedPart,
  UPLOAD_PART_ENDPOINTS,
  type UploadStatus,
} from '@herald/protocol/wire';
import { createFetchUploader } from '#fetch-uploader';
import { partRequestBody } from '#node-only';
import { backoffDelay } from './backoff.ts';
import type { HeraldClient } from './client.ts';
import { HeraldClientError, invalidArgument } from './errors.ts';
import type { FetchLike } from './http.ts';
import { type AnswerChecksOf, type MultipartRouteName, type RestApi, restApiOf } from './rest.ts';
import {
  abortedError,
  createXhrUploader,
  failedUpload,
  isWebStream,
  type MultipartRequest,
  type MultipartUploader,
  type NodeReadableLike,
  type UploadBody,
  type Uploader,
  type UploadRequest,
  unreachable,
} from './upload.ts';

// `@herald/client-sdk/multipart`: the routes that continue a multipart upload (presign parts,
// list the parts S3 holds, complete, abort) and the uploader that sends a large file in parts,
// resumably; kept out of the core entry (it has a size budget), like `/admin` and `/devices`.

const MULTIPART_CHECKS: AnswerChecksOf<MultipartRouteName> = {
  presignUploadParts: { 200: { parts: 'object' } },
  getUpload: { 200: { jobId: 'string', partSize: 'number', partCount: 'number', parts: 'object' } },
  completeUpload: { 200: { jobId: 'string' } },
  abortUpload: { 204: null },
};

const MIB = 1024 * 1024;
/** A presigned part this close to its expiry is signed again before use. */
const EXPIRY_MARGIN_MS = 30_000;
/** Parts presigned per `POST /uploads/{jobId}/parts` when more are needed. */
const PRESIGN_BATCH = 16;
const TOKEN_PREFIX = 'herald-upload.v1.';

/**
 * The multipart-upload routes (`POST /uploads/{jobId}/parts`, `GET /uploads/{jobId}`,
 * `POST /uploads/{jobId}/complete`, `DELETE /uploads/{jobId}`) as typed calls through a
 * client's token and settings, like `client.rest`.
 *
 * @example
 * import { multipartApi } from '@herald/client-sdk/multipart';
 *
 * const { body: upload } = await multipartApi(client).getUpload({ params: { jobId } });
 */
export function multipartApi(client: HeraldClient): RestApi<MultipartRouteName> {
  return restApiOf(client, MULTIPART_CHECKS, UPLOAD_PART_ENDPOINTS);
}

/**
 * Options of {@link multipartUploader} and {@link resumeUpload}.
 *
 * @example
 * const options: MultipartOptions = { concurrency: 4, retries: 5 };
 */
export interface MultipartOptions {
  /** Parts in flight at once. @default 4 */
  readonly concurrency?: number;
  /** Attempts per part after the first, with full-jitter backoff. @default 5 */
  readonly retries?: number;
  /** Smallest delay before a part's retry. @default 500 */
  readonly minRetryDelayMs?: number;
  /** Largest delay before a part's retry. @default 20 000 */
  readonly maxRetryDelayMs?: number;
  /** `fetch` for the part PUTs. @default globalThis.fetch */
  readonly fetch?: FetchLike;
  /** Sends files under the multipart threshold. @default XMLHttpRequest in browsers, streamed fetch elsewhere */
  readonly single?: Uploader;
  /** Called once a multipart upload starts, with its {@link resumeTokenOf | resume token}. */
  readonly onResumeToken?: (token: string, jobId: string) => void;
  /** Called as parts start and land: how many are in flight, landed (held included), in all. */
  readonly onParts?: (parts: PartCounts) => void;
}

/**
 * Where a multipart upload's parts stand (e.g. for a "parts in flight" display).
 *
 * @example
 * const line = `parts ${p.done}/${p.total}, ${p.inFlight} in flight`;
 */
export interface PartCounts {
  readonly inFlight: number;
  readonly done: number;
  readonly total: number;
}

/** The multipart upload's shape a resume needs, as a resume token holds it. */
interface TokenData {
  readonly v: 1;
  readonly jobId: string;
  readonly sizeBytes: number;
  readonly partSize: number;
  /** SHA-256 (hex) of the file's first and last MiB. */
  readonly head: string;
  readonly tail: string;
}

const tokens = new Map<string, string>();

/** A part's byte range. */
const rangeOf = (sizeBytes: number, partSize: number, n: number): [number, number] => [
  (n - 1) * partSize,
  Math.min(n * partSize, sizeBytes),
];

/** Reads parts of a body: by slicing (Blob, bytes: any order, again) or in order from a stream. */
type PartReader = (n: number) => Promise<Blob | Uint8Array>;

function sliceReader(body: UploadBody, sizeBytes: number, partSize: number): PartReader | undefined {
  const range = (n: number) => rangeOf(sizeBytes, partSize, n);
  if (typeof Blob !== 'undefined' && body instanceof Blob) return async (n) => body.slice(...range(n));
  if (body instanceof Uint8Array) return async (n) => body.subarray(...range(n));
  if (body instanceof ArrayBuffer)
    return async (n) => new Uint8Array(body, range(n)[0], range(n)[1] - range(n)[0]);
  return undefined;
}

/** Reads a stream part by part, in order, one part's bytes at a time (never the whole file). */
function streamReader(body: UploadBody, sizeBytes: number, partSize: number): PartReader {
  const source: AsyncIterator<unknown> = isWebStream(body)
    ? (body as unknown as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    : (body as NodeReadableLike)[Symbol.asyncIterator]();
  let pending = new Uint8Array(0);
  let next = 1;
  let lock: Promise<unknown> = Promise.resolve();
  const take = async (n: number): Promise<Uint8Array> => {
    if (n !== next) throw invalidArgument('A stream is read in order: it cannot resume out of order.');
    const [start, end] = rangeOf(sizeBytes, partSize, n);
    const chunks: Uint8Array[] = [];
    let have = 0;
    const want = end - start;
    while (have < want) {
      if (pending.byteLength === 0) {
        const { done, value } = await source.next();
        if (done) break;
        pending =
          typeof value === 'string' ? new TextEncoder().encode(value) : new Uint8Array(value as Uint8Array);
      }
      const piece = pending.subarray(0, want - have);
      pending = pending.subarray(piece.byteLength);
      chunks.push(piece);
      have += piece.byteLength;
    }
    next++;
    const part = new Uint8Array(have);
    let at = 0;
    for (const c of chunks) {
      part.set(c, at);
      at += c.byteLength;
    }
    return part;
  };
  return (n) => {
    const result = lock.then(() => take(n));
    lock = result.catch(() => {});
    return result;
  };
}

async function sha256(bytes: Blob | Uint8Array): Promise<string> {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(await bytes.arrayBuffer());
  const digest = await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Hashes of the first and last MiB of a sliceable body, or undefined for a stream. */
async function fingerprint(
  body: UploadBody,
  sizeBytes: number,
): Promise<{ head: string; tail: string } | undefined> {
  if (!sliceReader(body, sizeBytes, MIB)) return undefined;
  const bytesAt = async (start: number, end: number) =>
    typeof Blob !== 'undefined' && body instanceof Blob
      ? body.slice(start, end)
      : body instanceof Uint8Array
        ? body.subarray(start, end)
        : new Uint8Array(body as ArrayBuffer, start, end - start);
  const [head, tail] = await Promise.all([
    sha256(await bytesAt(0, Math.min(MIB, sizeBytes))),
    sha256(await bytesAt(Math.max(0, sizeBytes - MIB), sizeBytes)),
  ]);
  return { head, tail };
}

function encodeToken(data: TokenData): string {
  return `${TOKEN_PREFIX}${btoa(JSON.stringify(data))}`;
}

function decodeToken(token: string): TokenData {
  try {
    if (!token.startsWith(TOKEN_PREFIX)) throw new Error('prefix');
    const data = JSON.parse(atob(token.slice(TOKEN_PREFIX.length))) as TokenData;
    if (data.v !== 1 || typeof data.jobId !== 'string' || !(data.sizeBytes > 0) || !(data.partSize > 0))
      throw new Error('shape');
    return data;
  } catch {
    throw invalidArgument('That is not a Herald resume token.');
  }
}

interface PartRun {
  readonly api: RestApi<MultipartRouteName>;
  readonly jobId: string;
  readonly sizeBytes: number;
  readonly partSize: number;
  readonly partCount: number;
  readonly read: PartReader;
  readonly presigned: Map<number, PresignedPart>;
  /** ETags of the parts S3 holds, by part number; filled as parts land. */
  readonly held: Map<number, string>;
  readonly signal: AbortSignal;
  readonly onProgress: (bytesSent: number) => void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(abortedError(signal.reason));
      },
      { once: true },
    );
  });

/** Uploads the parts S3 does not hold yet, with bounded concurrency and per-part retries, then completes. */
async function sendParts(run: PartRun, options: MultipartOptions): Promise<void> {
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  // The runtime's own fetch gets the body it sends best (Node: a stream, not a Blob read whole);
  // a caller's fetch gets the slice or bytes themselves.
  const bodyOf = options.fetch
    ? (bytes: Blob | Uint8Array): RequestInit => ({ body: bytes as BodyInit })
    : partRequestBody;
  const retries = options.retries ?? 5;
  const minDelay = options.minRetryDelayMs ?? 500;
  const maxDelay = options.maxRetryDelayMs ?? 20_000;
  // Stops every part when the caller aborts or one part fails for good.
  const stop = new AbortController();
  const onAbort = () => stop.abort(run.signal.reason);
  run.signal.addEventListener('abort', onAbort, { once: true });
  const signal = stop.signal;
  const missing: number[] = [];
  let sent = 0;
  for (let n = 1; n <= run.partCount; n++) {
    const [start, end] = rangeOf(run.sizeBytes, run.partSize, n);
    if (run.held.has(n)) sent += end - start;
    else missing.push(n);
  }
  run.onProgress(sent);

  let signing: Promise<void> | undefined;
  const urlFor = async (n: number): Promise<string> => {
    for (;;) {
      const part = run.presigned.get(n);
      if (part && Date.parse(part.expiresAt) - Date.now() > EXPIRY_MARGIN_MS) return part.url;
      if (signing) {
        await signing;
        if (run.presigned.get(n) !== part) continue;
      }
      const batch = [n, ...missing.filter((m) => m > n && !run.presigned.has(m) && !run.held.has(m))].slice(
        0,
        PRESIGN_BATCH,
      );
      signing = run.api
        .presignUploadParts({
          params: { jobId: run.jobId },
          body: { partNumbers: batch },
          signal: run.signal,
        })
        .then(({ body }) => {
          for (const p of body.parts) run.presigned.set(p.partNumber, p);
        })
        .finally(() => {
          signing = undefined;
        });
      await signing;
    }
  };

  const putPart = async (n: number): Promise<string> => {
    const bytes = await run.read(n);
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw abortedError(signal.reason);
      const url = await urlFor(n);
      let failure: HeraldClientError = unreachable();
      let res: Response | undefined;
      try {
        res = await fetchImpl(url, { method: 'PUT', ...bodyOf(bytes), signal });
      } catch (err) {
        if (signal.aborted) throw abortedError(err);
        // A fetch may refuse a part for good (the CLI's, when the file changed under it).
        if (err instanceof HeraldClientError && !err.retryable) throw err;
        failure = unreachable(err);
      }
      if (res?.ok) {
        await res.body?.cancel();
        const etag = res.headers.get('etag');
        if (etag) return etag;
        throw new HeraldClientError('UPLOAD_FAILED', 'Storage answered a part without its ETag.', {
          retryable: false,
        });
      }
      if (res) {
        failure = await failedUpload(res.status, res.text());
        // An expired or refused signature: sign the part again before the next attempt.
        if (res.status === 403) run.presigned.delete(n);
        else if (res.status < 500 && res.status !== 429) throw failure;
      }
      if (attempt >= retries) throw failure;
      await sleep(backoffDelay(attempt, minDelay, maxDelay), signal);
    }
  };

  const queue = [...missing];
  let inFlight = 0;
  const counts = () => options.onParts?.({ inFlight, done: run.held.size, total: run.partCount });
  const worker = async () => {
    for (let n = queue.shift(); n !== undefined && !stop.signal.aborted; n = queue.shift()) {
      inFlight++;
      counts();
      const etag = await putPart(n).finally(() => inFlight--);
      run.held.set(n, etag);
      // A landed part's URL is not needed again: kept, 10,000 presigned S3 URLs (1-2 KB each with
      // a session token) would grow the uploader's memory with the file's size.
      run.presigned.delete(n);
      counts();
      const [start, end] = rangeOf(run.sizeBytes, run.partSize, n);
      sent += end - start;
      run.onProgress(sent);
    }
  };
  const workers = Math.max(1, Math.min(options.concurrency ?? 4, missing.length));
  try {
    await Promise.all(
      Array.from({ length: workers }, () =>
        worker().catch((err: unknown) => {
          // One part failed for good: the others stop too, so nothing lands after the failure.
          stop.abort(err);
          throw err;
        }),
      ),
    );
  } finally {
    run.signal.removeEventListener('abort', onAbort);
    stop.abort();
  }
  if (run.signal.aborted) throw abortedError(run.signal.reason);
  const parts = [...run.held].sort(([a], [b]) => a - b).map(([partNumber, etag]) => ({ partNumber, etag }));
  // The route checks the parts and queues the assembly (S3 may take minutes for a large object),
  // so it answers within the API's timeout; a retry after a lost answer is answered 200 again
  // (queued again, or the object or the job found further along). UPLOAD_EXPIRED right after a
  // lost answer is retried too: an older server, which completed inside the call, answered it
  // between S3 assembling the object and the worker taking the job.
  let lost = false;
  for (let attempt = 0; ; attempt++) {
    try {
      await run.api.completeUpload({ params: { jobId: run.jobId }, body: { parts }, signal: run.signal });
      return;
    } catch (err) {
      if (run.signal.aborted) throw abortedError(err);
      const again =
        err instanceof HeraldClientError && (err.retryable || (lost && err.code === 'UPLOAD_EXPIRED'));
      if (!again || attempt >= retries) throw err;
      lost = true;
      await sleep(backoffDelay(attempt, minDelay, maxDelay), run.signal);
    }
  }
}

/** The reader of a body, or the refusal when it cannot be split into parts. */
function readerOf(body: UploadBody, sizeBytes: number, partSize: number): PartReader {
  return sliceReader(body, sizeBytes, partSize) ?? streamReader(body, sizeBytes, partSize);
}

/**
 * An uploader for `createHeraldClient({ uploader })` that sends files at or above the server's
 * multipart threshold in parts: `concurrency` parts in flight (default 4), each retried with
 * full-jitter backoff on a network loss, a 5xx or an expired URL, progress as one stream (bytes
 * of the parts landed), then the completion. A `File`/`Blob` (or bytes) is sliced, never
 * buffered whole; a stream is read part by part. Smaller files go to `single`. Node's default
 * uploader already does this; browsers need it passed.
 *
 * @example
 * import { multipartUploader } from '@herald/client-sdk/multipart';
 *
 * const client = createHeraldClient({ apiUrl, wsUrl, getToken, uploader: multipartUploader() });
 * client.upload(input.files[0], { dataset: 'transactions' });
 */
export function multipartUploader(options: MultipartOptions = {}): MultipartUploader {
  const single =
    options.single ??
    (typeof XMLHttpRequest === 'function'
      ? createXhrUploader(XMLHttpRequest)
      : createFetchUploader(options.fetch));
  return (request) =>
    request.method === 'PUT' ? single(request as UploadRequest) : uploadInParts(request, options);
}

/**
 * Uploads one multipart request (what {@link multipartUploader} does for a multipart answer).
 *
 * @example
 * await uploadInParts(request, { concurrency: 2 });
 */
export async function uploadInParts(
  request: MultipartRequest,
  options: MultipartOptions = {},
): Promise<void> {
  const api = multipartApi(request.client as HeraldClient);
  const print = await fingerprint(request.body, request.sizeBytes);
  if (print) {
    const token = encodeToken({
      v: 1,
      jobId: request.jobId,
      sizeBytes: request.sizeBytes,
      partSize: request.partSize,
      ...print,
    });
    tokens.set(request.jobId, token);
    options.onResumeToken?.(token, request.jobId);
  }
  await sendParts(
    {
      api,
      jobId: request.jobId,
      sizeBytes: request.sizeBytes,
      partSize: request.partSize,
      partCount: request.partCount,
      read: readerOf(request.body, request.sizeBytes, request.partSize),
      presigned: new Map(request.parts.map((p) => [p.partNumber, p])),
      held: new Map(),
      signal: request.signal,
      onProgress: request.onProgress,
    },
    options,
  );
}

/**
 * The resume token of an upload sent in parts from a `File`, `Blob` or bytes (a stream cannot
 * resume): persist it (e.g. in `localStorage`) and pass it to {@link resumeUpload} after a
 * network loss or a page reload. Undefined until the multipart upload started, and for a single
 * PUT or a stream.
 *
 * @example
 * const upload = client.upload(file, { dataset: 'transactions' });
 * upload.on('change', () => localStorage.setItem('upload', resumeTokenOf(upload) ?? ''));
 */
export function resumeTokenOf(upload: { readonly jobId?: string | undefined }): string | undefined {
  return upload.jobId === undefined ? undefined : tokens.get(upload.jobId);
}

/**
 * What {@link resumeUpload} did.
 *
 * @example
 * const { resumedAtBytes } = await resumeUpload(client, token, file);
 */
export interface ResumedUpload {
  readonly jobId: string;
  /** Bytes S3 already held when the upload resumed. */
  readonly resumedAtBytes: number;
  readonly sizeBytes: number;
}

/**
 * Resumes an upload in parts from its {@link resumeTokenOf | token}: checks that `file` is the
 * same file (its size and the SHA-256 of its first and last MiB; another file is
 * `INVALID_ARGUMENT`), asks which parts S3 holds (`GET /uploads/{jobId}`), sends only the others
 * and completes. Follow the job with `client.job(jobId)` or its events.
 *
 * @example
 * import { resumeUpload } from '@herald/client-sdk/multipart';
 *
 * const { jobId, resumedAtBytes } = await resumeUpload(client, localStorage.getItem('upload') ?? '', file, {
 *   onProgress: (sent, total) => bar.set(sent / total),
 * });
 */
export async function resumeUpload(
  client: HeraldClient,
  token: string,
  file: Blob | Uint8Array | ArrayBuffer,
  options: MultipartOptions & {
    readonly signal?: AbortSignal;
    readonly onProgress?: (bytesSent: number, sizeBytes: number) => void;
  } = {},
): Promise<ResumedUpload> {
  const data = decodeToken(token);
  const size = file instanceof Blob ? file.size : file.byteLength;
  const print = await fingerprint(file, size);
  if (size !== data.sizeBytes || print?.head !== data.head || print?.tail !== data.tail) {
    throw invalidArgument('This is not the file the upload started with (its size or content differs).');
  }
  const api = multipartApi(client);
  const signal = options.signal ?? new AbortController().signal;
  const { body: status } = await api.getUpload({ params: { jobId: data.jobId }, signal });
  const held = new Map((status as UploadStatus).parts.map((p) => [p.partNumber, p.etag]));
  const resumedAtBytes = (status as UploadStatus).parts.reduce((sum, p) => sum + p.sizeBytes, 0);
  await sendParts(
    {
      api,
      jobId: data.jobId,
      sizeBytes: data.sizeBytes,
      partSize: status.partSize,
      partCount: status.partCount,
      read: readerOf(file, data.sizeBytes, status.partSize),
      presigned: new Map(),
      held,
      signal,
      onProgress: (sent) => options.onProgress?.(sent, data.sizeBytes),
    },
    options,
  );
  return { jobId: data.jobId, resumedAtBytes, sizeBytes: data.sizeBytes };
}

export type { MultipartRequest, MultipartUpload, MultipartUploader };
