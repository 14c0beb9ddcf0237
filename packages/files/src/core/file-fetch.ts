import {
  type BackoffPolicy,
  type Clock,
  isRetryable,
  type Logger,
  type Metrics,
  type Sleep,
  withRetries,
} from '@herald/runtime';
import {
  FileTooLargeError,
  IncompleteTransferError,
  SourceNotFoundError,
  UnsupportedContentTypeError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from '../errors.ts';
import type { FileSource, FileStore, SourceResponse, StoredFile } from '../ports.ts';
import { planCache, storableValidators } from './file-cache.ts';
import { formatContentType, isAllowedContentType, parseContentType } from './file-content-type.ts';
import { fileCacheKey } from './file-path.ts';

/** The file delivery settings (from config; see the README for the variables). */
export interface FileDeliverySettings {
  /** Largest file delivered, bytes. */
  readonly maxBytes: number;
  /** Media types delivered (`type/subtype` or `type/*`). */
  readonly allowedContentTypes: readonly string[];
  /** Lifetime of a presigned download, seconds (at most 900). */
  readonly linkTtlSeconds: number;
  /** How long `POST /files/links` works on a fetch before answering 202, milliseconds. */
  readonly budgetMs: number;
  /** A cached copy younger than this is handed out without asking SRV-GW; 0: always revalidate. */
  readonly cacheMaxAgeMs: number;
  readonly retry: BackoffPolicy;
}

/** What fetching into the cache needs. */
export interface FileFetchDeps {
  readonly files: FileStore;
  readonly source: FileSource;
  readonly clock: Clock;
  /**
   * `FileFetches` (Count) by `result`: `hit` (the cached copy, reused or revalidated), `miss`
   * (downloaded) or `failed` (any error but the caller's own abort).
   */
  readonly metrics: Metrics;
  readonly delivery: FileDeliverySettings;
  /** Uniform in [0, 1): the jitter of retry delays. */
  readonly random: () => number;
  readonly sleep: Sleep;
}

/** How the copy handed out came to be. */
export type CacheOutcome = 'reused' | 'revalidated' | 'downloaded';

/**
 * Makes sure the files bucket holds the current version of `path` and returns it:
 * - no copy → download it;
 * - a copy → conditional GET; 304 → the copy is reused (no download), 200 → the new version
 *   is streamed over it, 404 → the copy is deleted (the file is gone from SRV-GW).
 *
 * A download streams SRV-GW's body into S3 (multipart) through a counter that enforces the
 * size cap and the declared length, after checking the content type and declared size (a
 * refused file is never read). Network errors, 5xx, timeouts and truncated bodies are retried
 * with full-jitter backoff; every failed attempt leaves the bucket as it was (the store's
 * write is all or nothing), and a stored object whose size differs from the bytes sent is
 * deleted. `signal` aborts everything (the caller's budget).
 *
 * @example
 * const { file, outcome } = await fetchIntoCache(deps, 'reports/2026/q3.csv', { log });
 */
export async function fetchIntoCache(
  d: FileFetchDeps,
  path: string,
  options: { readonly signal?: AbortSignal; readonly log: Logger },
): Promise<{ file: StoredFile; outcome: CacheOutcome }> {
  try {
    const fetched = await fetchOrReuse(d, path, options);
    d.metrics.add('FileFetches', 'Count', 1, { result: fetched.outcome === 'downloaded' ? 'miss' : 'hit' });
    return fetched;
  } catch (error) {
    if (!options.signal?.aborted) d.metrics.add('FileFetches', 'Count', 1, { result: 'failed' });
    throw error;
  }
}

async function fetchOrReuse(
  d: FileFetchDeps,
  path: string,
  options: { readonly signal?: AbortSignal; readonly log: Logger },
): Promise<{ file: StoredFile; outcome: CacheOutcome }> {
  const key = fileCacheKey(path);
  const cached = await d.files.head(key);
  if (cached !== undefined) checkDeliverable(d, cached.contentType, cached.size);
  const plan = planCache(cached, d.clock.now(), d.delivery.cacheMaxAgeMs);
  if (plan.kind === 'reuse' && cached !== undefined) return { file: cached, outcome: 'reused' };
  const conditional = plan.kind === 'revalidate' ? plan : {};
  try {
    return await transfer(d, path, key, cached, conditional, options);
  } catch (error) {
    // Gone from SRV-GW: the cached copy must not outlive the source.
    if (error instanceof SourceNotFoundError && cached !== undefined) await d.files.remove(key);
    throw error;
  }
}

async function transfer(
  d: FileFetchDeps,
  path: string,
  key: string,
  cached: StoredFile | undefined,
  conditional: { readonly ifNoneMatch?: string; readonly ifModifiedSince?: string },
  options: { readonly signal?: AbortSignal; readonly log: Logger },
): Promise<{ file: StoredFile; outcome: CacheOutcome }> {
  return withRetries(
    async () => {
      const response = await d.source.open(path, { ...conditional, signal: options.signal });
      if (response.kind === 'not-modified') {
        if (cached === undefined) {
          throw new UpstreamUnavailableError('SRV-GW answered 304 to an unconditional request', {
            retryable: false,
            status: 304,
          });
        }
        return { file: cached, outcome: 'revalidated' as const };
      }
      return { file: await store(d, key, response), outcome: 'downloaded' as const };
    },
    {
      policy: d.delivery.retry,
      random: d.random,
      sleep: d.sleep,
      signal: options.signal,
      retryable: isRetryableTransfer,
      onRetry: (error, attempt, delayMs) =>
        options.log.log('warn', 'SRV-GW transfer failed; retrying', { attempt, delayMs, error }),
    },
  );
}

/** Source faults are retried here; S3's client retries its own calls. */
function isRetryableTransfer(error: unknown): boolean {
  return (
    (error instanceof UpstreamUnavailableError ||
      error instanceof UpstreamTimeoutError ||
      error instanceof IncompleteTransferError) &&
    isRetryable(error)
  );
}

/** Refuses (throws) a file whose type or size file delivery does not hand out. */
function checkDeliverable(
  d: FileFetchDeps,
  contentType: string | undefined,
  size: number | undefined,
): string {
  const type = parseContentType(contentType);
  if (type === undefined || !isAllowedContentType(type.mediaType, d.delivery.allowedContentTypes)) {
    throw new UnsupportedContentTypeError(type?.mediaType ?? 'none');
  }
  if (size !== undefined && size > d.delivery.maxBytes) throw new FileTooLargeError(d.delivery.maxBytes);
  return formatContentType(type);
}

async function store(
  d: FileFetchDeps,
  key: string,
  response: Extract<SourceResponse, { kind: 'file' }>,
): Promise<StoredFile> {
  let contentType: string;
  try {
    contentType = checkDeliverable(d, response.contentType, response.size);
  } catch (error) {
    response.cancel();
    throw error;
  }
  const counted = { bytes: 0 };
  try {
    await d.files.write(key, counting(response.body, d.delivery.maxBytes, response.size, counted), {
      contentType,
      ...(response.size !== undefined && { size: response.size }),
      source: storableValidators(response.validators),
    });
  } catch (error) {
    // The store aborted its upload; make sure the SRV-GW transfer is gone too.
    response.cancel();
    throw error;
  }
  const stored = await d.files.head(key);
  if (stored === undefined || stored.size !== counted.bytes) {
    await d.files.remove(key);
    throw new IncompleteTransferError(
      `the stored copy has ${stored?.size ?? 'no'} bytes where ${counted.bytes} were sent`,
    );
  }
  return stored;
}

/**
 * Passes the body through, counting: more than `maxBytes` → {@link FileTooLargeError}; more or
 * fewer than the declared size → {@link IncompleteTransferError}. Either throw fails the
 * store's write, which then aborts its upload.
 */
async function* counting(
  body: AsyncIterable<Uint8Array>,
  maxBytes: number,
  declared: number | undefined,
  counted: { bytes: number },
): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) {
    counted.bytes += chunk.byteLength;
    if (counted.bytes > maxBytes) throw new FileTooLargeError(maxBytes);
    if (declared !== undefined && counted.bytes > declared) {
      throw new IncompleteTransferError(`SRV-GW sent more than the ${declared} bytes it declared`);
    }
    yield chunk;
  }
  if (declared !== undefined && counted.bytes !== declared) {
    throw new IncompleteTransferError(`SRV-GW sent ${counted.bytes} of the ${declared} bytes it declared`);
  }
}
