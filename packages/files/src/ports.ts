/**
 * The small interfaces the file delivery core and handlers need. Real implementations live in
 * `src/adapters/`, in-memory ones in `tests/fakes/`; contract suites in `tests/contracts/` run
 * against both.
 */
import type { FileReadyEvent } from '@herald/protocol';
import type { FileFetchMessage } from './core/file-fetch-message.ts';

/** One row of the grants table: members of `group` (or everyone, `*`) may fetch under `pathPrefix`. */
export interface FileGrantRecord {
  readonly id: string;
  /** A folder (ending in `/`) or one exact file path. */
  readonly pathPrefix: string;
  readonly group: string;
  /** `sub` of the admin who created it (`migration` for seeds). */
  readonly createdBy: string;
  readonly createdAt: Date;
}

export interface NewFileGrant {
  readonly id: string;
  readonly pathPrefix: string;
  readonly group: string;
  readonly createdBy: string;
}

/** The grants table. */
export interface GrantRepository {
  /**
   * Every grant whose prefix is a leading substring of `path` (candidates: the core checks
   * folder boundaries and groups).
   */
  candidatesFor(path: string): Promise<readonly FileGrantRecord[]>;
  /** Every grant, ordered by prefix then group. */
  list(): Promise<readonly FileGrantRecord[]>;
  /** Stores a grant; undefined when the same prefix and group are already granted. */
  create(grant: NewFileGrant): Promise<FileGrantRecord | undefined>;
  /** Deletes a grant; false when there is no such grant. */
  delete(id: string): Promise<boolean>;
}

/** What identifies a version of a file on SRV-GW (its validators, as SRV-GW sent them). */
export interface SourceValidators {
  readonly etag?: string;
  readonly lastModified?: string;
}

/** A conditional GET: SRV-GW answers 304 when the file still matches. */
export interface SourceRequest {
  readonly ifNoneMatch?: string;
  readonly ifModifiedSince?: string;
  /** Aborts the request (and the body) when the caller's budget is spent. */
  readonly signal?: AbortSignal;
}

export type SourceResponse =
  | { readonly kind: 'not-modified'; readonly validators: SourceValidators }
  | {
      readonly kind: 'file';
      /** The bytes, streamed (never buffered whole); iteration throws when the transfer breaks. */
      readonly body: AsyncIterable<Uint8Array>;
      /** `Content-Length`, when SRV-GW declared one. */
      readonly size: number | undefined;
      /** The raw `Content-Type` header. */
      readonly contentType: string | undefined;
      readonly validators: SourceValidators;
      /** Drops the transfer without reading the body (a refused file). Idempotent. */
      cancel(): void;
    };

/** The external file server (SRV-GW). Throws `SourceNotFoundError`, `UpstreamUnavailableError`, `UpstreamTimeoutError`. */
export interface FileSource {
  open(path: string, request: SourceRequest): Promise<SourceResponse>;
}

/** A cached copy in the files bucket. */
export interface StoredFile {
  readonly key: string;
  readonly size: number;
  readonly contentType: string;
  /** When the copy was written (S3 `LastModified`). */
  readonly storedAt: Date;
  /** The SRV-GW validators of the version stored. */
  readonly source: SourceValidators;
}

/** What is written with a cached copy. */
export interface FileWrite {
  readonly contentType: string;
  /** The declared size, when known (a body of another length fails the write). */
  readonly size?: number;
  readonly source: SourceValidators;
}

/** The files bucket. */
export interface FileStore extends DownloadLinks {
  /** The cached copy at `key`, or undefined. */
  head(key: string): Promise<StoredFile | undefined>;
  /**
   * Streams `body` into `key` (multipart when large; never the whole file in memory). All or
   * nothing: when the body throws or S3 fails, the multipart upload is aborted and whatever
   * was at `key` before is still there, unchanged.
   */
  write(key: string, body: AsyncIterable<Uint8Array>, file: FileWrite): Promise<void>;
  /** Deletes the object at `key` (no error when there is none). */
  remove(key: string): Promise<void>;
}

/** How long a download link lives and what it is answered with. */
export interface DownloadLinkOptions {
  readonly expiresInSeconds: number;
  /** Sent back as `Content-Disposition`; part of what is signed, so the holder cannot change it. */
  readonly contentDisposition: string;
}

/**
 * Signed, short-lived download links to objects of the files bucket: a presigned S3 GET
 * ({@link FileStore}, the fallback) or a CloudFront signed URL when a distribution serves
 * downloads.
 */
export interface DownloadLinks {
  /** A signed GET of `key` answered with `Content-Disposition: contentDisposition`. Never log it. */
  presignDownload(key: string, options: DownloadLinkOptions): Promise<string>;
}

/** The queue whose worker continues fetches that outlive the API's budget. */
export interface FetchQueue {
  enqueue(message: FileFetchMessage): Promise<void>;
}

/** Sends `file.ready` to its user (WebSocket, or a push when offline). Never throws. */
export interface FileNotifier {
  fileReady(userId: string, event: FileReadyEvent): Promise<void>;
}
