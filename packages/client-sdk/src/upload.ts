import type { MultipartUpload } from '@herald/protocol/wire';
import { isNodeReadable, streamFileName } from '#node-only';
import { onAbort } from './abort.ts';
import { HeraldClientError } from './errors.ts';

/**
 * A Node.js `Readable` (e.g. `fs.createReadStream`), described structurally so the core needs
 * no Node types at runtime. `path` (set by `fs.createReadStream`) supplies a default file name.
 *
 * @example
 * const body: NodeReadableLike = fs.createReadStream('rows.csv');
 */
export interface NodeReadableLike extends AsyncIterable<unknown> {
  pipe(...args: never[]): unknown;
  readonly path?: unknown;
}

/**
 * What `upload()` accepts: a browser `File`/`Blob`, bytes, a web `ReadableStream`, or a Node
 * `Readable`. Streams need `sizeBytes` in the options (the presigned upload is size-bound).
 *
 * @example
 * client.upload(input.files[0], { dataset: 'transactions' });
 * client.upload(fs.createReadStream(path), { dataset: 'transactions', sizeBytes: stat.size });
 */
export type UploadBody = Blob | Uint8Array | ArrayBuffer | ReadableStream<Uint8Array> | NodeReadableLike;

/**
 * One upload of bytes to a presigned URL, as the SDK hands it to an {@link Uploader}.
 *
 * @example
 * const request: UploadRequest = { method: 'PUT', url, headers, body, sizeBytes, signal, onProgress };
 */
export interface UploadRequest {
  readonly method: 'PUT';
  readonly url: string;
  /** Headers the presigned request must carry (part of the signature). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: UploadBody;
  readonly sizeBytes: number;
  readonly signal: AbortSignal;
  /** Called as bytes go out, with the running total. */
  onProgress(bytesSent: number): void;
}

/**
 * Sends the file's bytes to the presigned URL, reporting progress; rejects with a
 * {@link HeraldClientError} (`UPLOAD_FAILED`, `ABORTED`, `NETWORK_ERROR`). Inject one to use
 * another HTTP stack, or to fake uploads in tests.
 *
 * @example
 * const client = createHeraldClient({ apiUrl, wsUrl, getToken, uploader: createXhrUploader(XMLHttpRequest) });
 */
export type Uploader = (request: UploadRequest) => Promise<void>;

/**
 * A file at or above the server's multipart threshold, as the SDK hands it to a
 * {@link MultipartUploader}: the job's multipart upload (its first parts presigned) and the file.
 *
 * @example
 * const request: MultipartRequest = { ...upload, client, jobId, body, sizeBytes, signal, onProgress };
 */
export interface MultipartRequest extends MultipartUpload {
  /** The client whose token and settings the part routes are called with. */
  readonly client: object;
  readonly jobId: string;
  readonly body: UploadBody;
  readonly sizeBytes: number;
  readonly signal: AbortSignal;
  /** Called as parts land, with the bytes of all parts landed so far. */
  onProgress(bytesSent: number): void;
}

/**
 * An uploader that also sends files in parts: `multipartUploader()` of
 * `@herald/client-sdk/multipart` (kept out of the core entry, which has a size budget). It gets
 * a single PUT ({@link UploadRequest}) or a multipart upload ({@link MultipartRequest}).
 *
 * @example
 * import { multipartUploader } from '@herald/client-sdk/multipart';
 * const client = createHeraldClient({ apiUrl, wsUrl, getToken, uploader: multipartUploader() });
 */
export type MultipartUploader = (request: UploadRequest | MultipartRequest) => Promise<void>;

export function isWebStream(body: unknown): body is ReadableStream<Uint8Array> {
  return typeof ReadableStream !== 'undefined' && body instanceof ReadableStream;
}

/** The size of a body when it tells, else undefined (streams). */
export function bodySize(body: UploadBody): number | undefined {
  if (typeof Blob !== 'undefined' && body instanceof Blob) return body.size;
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) return body.byteLength;
  return undefined;
}

/** The file name a body carries: a `File`'s name or a Node file stream's path. */
export function bodyName(body: UploadBody): string | undefined {
  const { name } = body as { name?: unknown };
  return typeof name === 'string' && name !== '' ? name : streamFileName(body);
}

/** Whether a value is something `upload()` can send. */
export function isUploadBody(body: unknown): body is UploadBody {
  return bodySize(body as UploadBody) !== undefined || isNodeReadable(body) || isWebStream(body);
}

/** The error of a refused upload: its HTTP status and, from S3's XML answer, its `<Code>`. */
export async function failedUpload(status: number, text: Promise<string>): Promise<HeraldClientError> {
  // S3 answers with XML: its <Code> (e.g. SignatureDoesNotMatch, EntityTooLarge) says enough.
  const body = await text.catch(() => '');
  const code = /<Code>([^<]{1,64})<\/Code>/.exec(body)?.[1];
  return new HeraldClientError(
    'UPLOAD_FAILED',
    `The file upload was refused (HTTP ${status}${code ? `, ${code}` : ''}).`,
    { status, details: code ? { s3Code: code } : undefined, retryable: status >= 500 },
  );
}

/** The error of an upload that never reached storage. */
export function unreachable(cause?: unknown): HeraldClientError {
  return new HeraldClientError('NETWORK_ERROR', 'The file upload could not reach storage.', { cause });
}

/** The error of an upload the caller aborted. */
export function abortedError(cause?: unknown): HeraldClientError {
  return new HeraldClientError('ABORTED', 'The upload was aborted.', { cause, retryable: false });
}

/** Headers a browser refuses to let scripts set on XMLHttpRequest. */
const FORBIDDEN_XHR_HEADERS = new Set(['content-length', 'host', 'connection']);

/**
 * What {@link createXhrUploader} needs of an `XMLHttpRequest` (the browser's fits).
 *
 * @example
 * const xhr: XhrLike = new XMLHttpRequest();
 */
export interface XhrLike {
  readonly status: number;
  readonly responseText: string;
  readonly upload: {
    addEventListener(type: 'progress', listener: (event: { readonly loaded: number }) => void): void;
  };
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: Blob | Uint8Array<ArrayBuffer> | ArrayBuffer): void;
  abort(): void;
  addEventListener(type: 'load' | 'error' | 'abort', listener: () => void): void;
}

/**
 * An `XMLHttpRequest` class.
 *
 * @example
 * const Xhr: XhrConstructor = XMLHttpRequest;
 */
export type XhrConstructor = new () => XhrLike;

/**
 * An {@link Uploader} on `XMLHttpRequest`, whose `upload.onprogress` reports real bytes on the
 * wire in every browser. The default in browsers; streams are read into a Blob first.
 *
 * @example
 * createHeraldClient({ apiUrl, wsUrl, getToken, uploader: createXhrUploader(XMLHttpRequest) });
 */
export function createXhrUploader(Xhr: XhrConstructor = XMLHttpRequest): Uploader {
  return async (request) => {
    const body =
      bodySize(request.body) === undefined
        ? // Streams (web, or Node's async iterables) become one Blob: XHR cannot send a stream.
          await new Response(request.body as BodyInit).blob()
        : (request.body as Blob | Uint8Array<ArrayBuffer> | ArrayBuffer);
    if (request.signal.aborted) throw abortedError(request.signal.reason);
    await new Promise<void>((resolve, reject) => {
      const xhr = new Xhr();
      const off = onAbort(request.signal, () => xhr.abort());
      const finish = (error?: HeraldClientError) => {
        off();
        if (error) reject(error);
        else resolve();
      };
      xhr.open(request.method, request.url);
      for (const [name, value] of Object.entries(request.headers)) {
        if (!FORBIDDEN_XHR_HEADERS.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
      }
      xhr.upload.addEventListener('progress', (event) => request.onProgress(event.loaded));
      xhr.addEventListener('load', () => {
        if (xhr.status >= 200 && xhr.status < 300) {
          request.onProgress(request.sizeBytes);
          finish();
        } else void failedUpload(xhr.status, Promise.resolve(xhr.responseText)).then(finish);
      });
      xhr.addEventListener('error', () => finish(unreachable()));
      xhr.addEventListener('abort', () => finish(abortedError(request.signal.reason)));
      xhr.send(body);
    });
  };
}
